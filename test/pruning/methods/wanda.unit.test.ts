// Wanda through run() on the linear-chain runner (the uniform-method cases shared with the other
// uniform methods: helpers/uniform-method-cases.ts).
import { wanda } from '../../../src/pruning/methods/wanda';
import { describeUniformMethod } from '../helpers/uniform-method-cases';

describeUniformMethod('wanda', wanda, 'norms');
