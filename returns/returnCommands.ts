import { z } from 'zod';
import { attempt, minorUnits, returnItems, text } from './returnSchemas.ts';
import type { ReturnSagaCommand } from './returnTypes.ts';
import { checkWith } from 'xsaga';

/** The shape of each command the returns saga sends its participants. */
export const returnCommandChecks = {
  IssueReturnLabel: checkWith(z.object({ returnId: text, orderId: text, customerId: text, items: returnItems, attempt })),
  VoidReturnLabel: checkWith(z.object({ returnId: text, orderId: text, labelId: text.nullable(), attempt })),
  RefundReturn: checkWith(z.object({ returnId: text, orderId: text, amount: minorUnits, currency: text, attempt })),
  ReverseReturnRefund: checkWith(z.object({ returnId: text, orderId: text, currency: text, attempt })),
  RestockReturn: checkWith(z.object({ returnId: text, orderId: text, items: returnItems, attempt })),
  ReverseReturnRestock: checkWith(z.object({ returnId: text, orderId: text, items: returnItems, attempt })),
} satisfies Record<ReturnSagaCommand['type'], (data: unknown) => string | undefined>;
