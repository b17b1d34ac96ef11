import { z } from 'zod';
import { orderSearchResult } from '../ordersContract.ts';
import { json, problems, type RouteContract } from '../openapi/routeContract.ts';
import { pathId } from '../pathId.ts';
import { textParam, wholeNumberParam } from '../queryParams.ts';
import { machineDefinitionSchema, machineListSchema, machineStatsSchema, sagaTraceSchema, statechartLayoutSchema } from './machinesSchemas.ts';

export const MACHINE_VERSION_HEADER = 'xsaga-machine-version';

const machineId = z.string().meta({ description: 'The machine’s id, as `GET /machines` lists it.' });
export const machineParams = z.object({ id: machineId });
export const machineVersionQuery = z.object({
  version: wholeNumberParam({ min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 }).meta({ description: 'A version of the machine; 0 or none: the newest.' }),
});
export const machineSagasQuery = z.object({
  ...machineVersionQuery.shape,
  state: textParam().meta({ description: 'A statechart state, dotted.' }),
  q: textParam().meta({ description: 'Free text over the saga id, customer and SKUs.' }),
  limit: wholeNumberParam({ min: 0, max: 500, fallback: 20 }),
  offset: wholeNumberParam({ min: 0, max: 10_000, fallback: 0 }),
});
export const sagaParams = z.object({ id: machineId, sagaId: pathId() });

const NO_MACHINE = 'No such machine, or not that version.';

/** The machines the runtime hosts, for tools and the dashboard: every route needs a viewer key. */
export const machinesRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/machines',
    operationId: 'listMachines',
    summary: 'The machines the runtime hosts',
    tag: 'Machines',
    access: 'viewer',
    responses: { 200: json(machineListSchema, 'Each machine with its versions.') },
  },
  {
    method: 'get',
    path: '/machines/{id}',
    operationId: 'getMachine',
    summary: 'A machine’s definition as JSON',
    tag: 'Machines',
    access: 'viewer',
    request: { params: machineParams, query: machineVersionQuery },
    responses: {
      200: json(machineDefinitionSchema, 'The definition.', z.object({ [MACHINE_VERSION_HEADER]: z.string().regex(/^[0-9]+$/).meta({ description: 'The version answered.' }) })),
      ...problems({ 400: '`version` is not valid.', 404: NO_MACHINE }),
    },
  },
  {
    method: 'get',
    path: '/machines/{id}/layout',
    operationId: 'getMachineLayout',
    summary: 'The statechart laid out, for the dashboard',
    tag: 'Machines',
    access: 'viewer',
    request: { params: machineParams, query: machineVersionQuery },
    responses: { 200: json(statechartLayoutSchema, 'States and transitions with coordinates.'), ...problems({ 400: '`version` is not valid.', 404: NO_MACHINE }) },
  },
  {
    method: 'get',
    path: '/machines/{id}/stats',
    operationId: 'getMachineStats',
    summary: 'Per state: how many sagas, and how long the oldest has waited',
    tag: 'Machines',
    access: 'viewer',
    request: { params: machineParams, query: machineVersionQuery },
    responses: {
      200: json(machineStatsSchema, 'Counts per state, from the read model.'),
      ...problems({ 400: '`version` is not valid.', 404: NO_MACHINE, 503: 'The read model did not answer in time; try again.' }),
    },
  },
  {
    method: 'get',
    path: '/machines/{id}/sagas',
    operationId: 'listMachineSagas',
    summary: 'The sagas in a state, searchable, newest first',
    tag: 'Machines',
    access: 'viewer',
    request: { params: machineParams, query: machineSagasQuery },
    responses: {
      200: json(orderSearchResult, 'A page of the sagas found.'),
      ...problems({ 400: 'A parameter is not valid.', 404: NO_MACHINE, 503: 'The read model did not answer in time; try again.' }),
    },
  },
  {
    method: 'get',
    path: '/machines/{id}/sagas/{sagaId}',
    operationId: 'traceSaga',
    summary: 'A saga’s path, folded from its stream',
    description: 'Each event with the transition it took, the commands it emitted and the timers it armed or cancelled.',
    tag: 'Machines',
    access: 'viewer',
    request: { params: sagaParams },
    responses: {
      200: json(sagaTraceSchema, 'The saga’s path.'),
      ...problems({ 400: '`sagaId` is not valid.', 404: 'No such saga of this machine, or its version is not registered here.', 503: 'The event store did not answer; try again.' }),
    },
  },
];
