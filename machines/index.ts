export { orderSaga, ORDER_SAGA_VERSION, type OrderSagaMachine } from './orderSaga.ts';
export type * from './orderTypes.ts';
