// Magnitude through run() on the linear-chain runner (the uniform-method cases shared with the other
// uniform methods: helpers/uniform-method-cases.ts).
import { magnitude } from '../../../src/pruning/methods/magnitude';
import { describeUniformMethod } from '../helpers/uniform-method-cases';

describeUniformMethod('magnitude', magnitude, 'none');
