import { describeGrantFailureReasons } from './grant-failure-reasons.suite.js';

describeGrantFailureReasons('postgres');
