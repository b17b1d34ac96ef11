export { testClock, type TestClock } from '../../runtime/testClock.ts';
