export { lovaszHinge, type LovaszOptions } from './lovasz.js';
export { bce, checkLossSpec, dice, focal, makeLoss, weighted, type Loss, type LossSpec } from './losses.js';
