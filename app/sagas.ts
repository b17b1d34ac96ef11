import { orderSagaBundle } from '../orders/orderSagaBundle.ts';
import { returnSagaBundle } from '../returns/returnSagaBundle.ts';
import type { SagaBundle } from '../sdk/defineSaga.ts';

/** The sagas this xsaga hosts. Adding a saga is adding its bundle here. */
export const SAGAS: readonly SagaBundle[] = [orderSagaBundle, returnSagaBundle];
