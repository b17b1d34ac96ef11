/**
 * `xsaga/testing`: what a saga folder's tests and path model use. A saga's path model (its
 * inputs, events and independent reference) lives in its folder; the generated path tests run it
 * at three levels (machine, embedded runtime, real servers).
 */
export type { ExpectedStep, SagaPathModel, SagaReference } from '../test/graph/sagaPathModel.ts';
export { testClock, type TestClock } from '../runtime/testClock.ts';
