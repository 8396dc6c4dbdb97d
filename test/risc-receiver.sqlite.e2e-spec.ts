import { describeRiscReceiver } from './risc-receiver.suite.js';

describeRiscReceiver('sqlite');
