import { idempotencyKeyHeaders, json, pathId, problems, z, type RouteContract } from 'xsaga';

const text = (max: number) => z.string().trim().min(1, { error: 'must not be empty' }).max(max, { error: `must be at most ${max} characters` });
const sku = text(64).regex(/^[A-Za-z0-9._:-]+$/, { error: 'must be letters, digits or ".", "_", ":", "-"' });

export const RETURN_LIMITS = { maxItems: 100, maxQuantity: 10_000 } as const;

/** `POST /returns`: which items of which order come back, and why. */
export const returnRequestSchema = z
  .strictObject({
    orderId: text(128),
    items: z
      .array(z.strictObject({ sku, quantity: z.number().int({ error: 'must be a whole number' }).min(1, { error: `must be between 1 and ${RETURN_LIMITS.maxQuantity}` }).max(RETURN_LIMITS.maxQuantity, { error: `must be between 1 and ${RETURN_LIMITS.maxQuantity}` }) }))
      .min(1, { error: 'must list at least one item' })
      .max(RETURN_LIMITS.maxItems, { error: `must list at most ${RETURN_LIMITS.maxItems} items` }),
    reason: text(500),
  })
  .meta({ id: 'ReturnRequest' });

export type ReturnRequest = z.output<typeof returnRequestSchema>;

export const returnIdParams = z.object({ id: pathId().meta({ description: 'The return id `POST /returns` answered with.' }) });
export const returnListQuery = z.object({ orderId: text(128).meta({ description: 'The order whose returns to list.' }) });
export const decisionRequestSchema = z.strictObject({ reason: text(500).optional() }).meta({ id: 'ReturnDecision' });
export const carrierEventSchema = z.strictObject({ returnId: text(200), type: z.literal('PARCEL_RECEIVED', { error: 'must be PARCEL_RECEIVED' }) }).meta({ id: 'CarrierEvent' });

export const RETURN_STATUSES = ['PENDING', 'COMPLETED', 'REJECTED', 'EXPIRED', 'FAILED'] as const;

export const returnViewSchema = z
  .strictObject({
    returnId: z.string(),
    orderId: z.string(),
    customerId: z.string(),
    status: z.enum(RETURN_STATUSES),
    state: z.string().meta({ description: 'The statechart state, dotted; in the parallel steps both regions (`settling.refund.refunding, settling.restock.done`…).' }),
    reason: z.string(),
    refund: z.strictObject({ amount: z.number().int().nonnegative(), currency: z.string(), refunded: z.number().int().nonnegative() }),
    items: z.array(z.strictObject({ sku: z.string(), quantity: z.number().int().positive(), unitPrice: z.number().int().nonnegative() })),
    rejectionReason: z.string().nullable(),
    failureReason: z.string().nullable(),
    version: z.number().int().positive(),
    requestedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ReturnView' });

const returnAccepted = z.strictObject({ returnId: z.string(), version: z.number().int().positive(), status: z.literal('PENDING') }).meta({ id: 'ReturnAccepted' });
const signalAccepted = z.strictObject({ returnId: z.string(), version: z.number().int().positive(), state: z.string() }).meta({ id: 'ReturnSignalAccepted' });
const carrierAccepted = z.strictObject({ returnId: z.string(), accepted: z.literal(true) }).meta({ id: 'CarrierEventAccepted' });

const TAG = 'returns';
const decision = (action: 'approve' | 'reject'): RouteContract => ({
  method: 'post',
  path: `/returns/{id}/${action}`,
  operationId: `${action}Return`,
  summary: action === 'approve' ? 'Approve a return waiting for a decision' : 'Reject a return waiting for a decision',
  tag: TAG,
  access: 'operator',
  request: { params: returnIdParams, body: { required: false, content: { 'application/json': { schema: decisionRequestSchema } } } },
  responses: {
    202: json(signalAccepted, 'The decision is the saga’s next event.'),
    ...problems({ 400: 'The body is not valid.', 404: 'No such return.', 409: 'The return is not waiting for a decision.' }),
  },
});

/** The returns endpoints, as the OpenAPI document shows them and as their guards enforce them. */
export const returnRoutes: readonly RouteContract[] = [
  {
    method: 'post',
    path: '/returns',
    operationId: 'requestReturn',
    summary: 'Return items of a completed order',
    tag: TAG,
    access: 'open',
    request: { headers: idempotencyKeyHeaders, body: { required: true, content: { 'application/json': { schema: returnRequestSchema } } } },
    responses: {
      202: json(returnAccepted, 'Accepted: the return runs; follow `Location`.', z.object({ Location: z.string().meta({ description: '`/returns/<returnId>`' }) })),
      ...problems({
        400: 'A field of the body or the Idempotency-Key is not valid (each is named in `errors`).',
        409: 'The order is not COMPLETED, or the items were not in it or are already returned (named in `errors`).',
        415: 'The body is not `application/json`.',
        422: 'The Idempotency-Key was used with another body.',
      }),
    },
  },
  {
    method: 'get',
    path: '/returns',
    operationId: 'listReturns',
    summary: 'The returns of an order',
    tag: TAG,
    access: 'viewer',
    request: { query: returnListQuery },
    responses: { 200: json(z.strictObject({ items: z.array(returnViewSchema) }).meta({ id: 'ReturnList' }), 'Oldest first.'), ...problems({ 400: 'orderId is missing.' }) },
  },
  {
    method: 'get',
    path: '/returns/{id}',
    operationId: 'getReturn',
    summary: 'One return',
    tag: TAG,
    access: 'open',
    request: { params: returnIdParams },
    responses: { 200: json(returnViewSchema, 'The return.'), ...problems({ 404: 'No such return.' }) },
  },
  decision('approve'),
  decision('reject'),
  {
    method: 'post',
    path: '/carrier/events',
    operationId: 'carrierEvent',
    summary: 'A carrier reports a parcel of a return',
    tag: TAG,
    access: 'operator',
    request: { body: { required: true, content: { 'application/json': { schema: carrierEventSchema } } } },
    responses: {
      202: json(carrierAccepted, 'Sent to the return through the bus.'),
      ...problems({ 400: 'The body is not valid.', 404: 'No such return.', 409: 'The return is not waiting for a parcel.' }),
    },
  },
];
