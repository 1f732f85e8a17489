// Losses: values worked out by hand on tiny inputs, gradients against finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../src/torch/index.js';
import { bce, dice, focal, lovaszHinge, makeLoss } from '../src/losses/index.js';
import { gradcheck } from './helpers/gradcheck.js';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('Lovász hinge by hand: one image, three pixels', () => {
  T.tidy(() => {
    // errors 1 - s·x = [-1, 0, 1.5]; sorted [1.5, 0, -1] with labels [0, 0, 1]; Jaccard [1/2, 2/3, 1];
    // its differences [1/2, 1/6, 1/3] weight the errors.
    const x = T.tensor([[2, -1, 0.5]]), y = T.tensor([[1, 0, 0]]);
    close(lovaszHinge(x, y).item(), 1.5 * 0.5);
    close(lovaszHinge(x, y, { activation: 'elu' }).item(), 2.5 * 0.5 + 1 / 6 + Math.exp(-1) / 3);
    // Symmetric: on (-x, 1-y) the errors are [1-2, 1-1, 1+0.5] with labels [0, 1, 1] -> sorted
    // [1.5 (1), 0 (1), -1 (0)]: Jaccard [1/2, 1, 1] -> weights [1/2, 1/2, 0] -> 0.75; mean 0.75.
    close(lovaszHinge(x, y, { symmetric: true }).item(), 0.75);
    // With ELU+1 (the TGS winners' symmetric form): the complement's sorted errors [1.5, 0, -1] give
    // [2.5, 1, e^-1] weighted [1/2, 1/2, 0] = 1.75, averaged with the mask's value above.
    close(lovaszHinge(x, y, { symmetric: true, activation: 'elu' }).item(), (1.75 + 2.5 * 0.5 + 1 / 6 + Math.exp(-1) / 3) / 2);
    // A perfect, confident prediction has zero loss.
    close(lovaszHinge(T.tensor([[5, -5]]), T.tensor([[1, 0]])).item(), 0);
  });
});

test('Lovász per image averages images; per batch pools their pixels', () => {
  T.tidy(() => {
    const x = T.tensor([[[2, -1, 0.5]], [[-3, 1, 2]]]), y = T.tensor([[[1, 0, 0]], [[0, 1, 1]]]);
    const a = lovaszHinge(x.select(0, 0).unsqueeze(0), y.select(0, 0).unsqueeze(0)).item();
    const b = lovaszHinge(x.select(0, 1).unsqueeze(0), y.select(0, 1).unsqueeze(0)).item();
    close(lovaszHinge(x, y).item(), (a + b) / 2);
    const pooled = lovaszHinge(x.reshape(1, 6), y.reshape(1, 6)).item();
    close(lovaszHinge(x, y, { perImage: false }).item(), pooled);
  });
});

test('Dice, focal and BCE by hand; weighted sums', () => {
  T.tidy(() => {
    const x = T.zeros([1, 1, 2, 2]), y = T.tensor([[[[1, 1], [0, 0]]]]);
    close(dice(x, y).item(), 1 - 3 / 5); // p = 0.5 everywhere: (2·1 + 1) / (2 + 2 + 1)
    close(focal(T.zeros([1]), T.ones([1])).item(), 0.25 * 0.25 * Math.LN2);
    close(focal(T.zeros([1]), T.zeros([1])).item(), 0.75 * 0.25 * Math.LN2);
    close(bce(x, y).item(), Math.LN2);
    close(makeLoss('bce_dice')(x, y).item(), Math.LN2 + 0.4);
    close(makeLoss({ name: 'sum', terms: [{ weight: 0.3, loss: { name: 'bce' } }, { weight: 2, loss: { name: 'dice' } }] })(x, y).item(), 0.3 * Math.LN2 + 0.8);
    assert.throws(() => makeLoss('hinge' as 'bce'), /unknown loss 'hinge'/);
  });
});

test('loss gradients against finite differences', () => {
  const y = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0];
  const withY = (f: (x: T.Tensor, t: T.Tensor) => T.Tensor) => ([x, t]: T.Tensor[]) => f(x!, t!);
  const inputs = [{ shape: [2, 1, 2, 3], low: -2, high: 2 }, { shape: [2, 1, 2, 3], data: y, constant: true }];
  gradcheck('lovasz relu', withY((x, t) => lovaszHinge(x, t)), inputs);
  gradcheck('lovasz elu', withY((x, t) => lovaszHinge(x, t, { activation: 'elu' })), inputs);
  gradcheck('lovasz symmetric per batch', withY((x, t) => lovaszHinge(x, t, { symmetric: true, perImage: false })), inputs);
  gradcheck('dice', withY((x, t) => dice(x, t)), inputs);
  gradcheck('focal', withY((x, t) => focal(x, t)), inputs);
  gradcheck('bce_dice', withY((x, t) => makeLoss('bce_dice')(x, t)), inputs);
});
