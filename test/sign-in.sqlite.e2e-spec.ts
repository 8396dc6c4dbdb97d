import { describeSignIn } from './sign-in.suite.js';

describeSignIn('sqlite');
