#!/usr/bin/env node
// Tells binding.gyp where libtorch lives. Default: Debian's libtorch-dev. LIBTORCH=/path picks any
// other libtorch >= 1.13 (for example an unpacked CUDA build from pytorch.org).
'use strict';
const fs = require('fs');
const path = require('path');

function debian() {
  const multiarch = fs.existsSync('/usr/lib/x86_64-linux-gnu') ? '/usr/lib/x86_64-linux-gnu' : '/usr/lib/aarch64-linux-gnu';
  return {
    root: '/usr',
    // /usr/include is already on the compiler's path; naming it again would reorder system headers.
    include: ['/usr/include/torch/csrc/api/include'],
    probe: '/usr/include/ATen/ATen.h',
    libDir: multiarch,
    cmake: path.join(multiarch, 'cmake/Torch/TorchConfig.cmake'),
  };
}

function custom(root) {
  return {
    root,
    include: [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')],
    probe: path.join(root, 'include/ATen/ATen.h'),
    libDir: path.join(root, 'lib'),
    cmake: path.join(root, 'share/cmake/Torch/TorchConfig.cmake'),
  };
}

function config() {
  const env = process.env.LIBTORCH;
  const c = env ? custom(path.resolve(env)) : debian();
  const probe = c.probe;
  if (!fs.existsSync(probe)) {
    const hint = env
      ? `LIBTORCH=${env} has no include/ATen/ATen.h; point it at an unpacked libtorch folder`
      : 'install Debian\'s libtorch-dev (apt-get install libtorch-dev) or set LIBTORCH=/path/to/libtorch';
    throw new Error(`libtorch headers not found at ${probe}: ${hint}`);
  }
  const has = (name) => fs.existsSync(path.join(c.libDir, `lib${name}.so`));
  const libs = ['torch', 'torch_cpu', 'c10'];
  const cuda = has('torch_cuda');
  if (cuda) libs.push('torch_cuda', 'c10_cuda');
  let abi = process.env.LIBTORCH_CXX11_ABI;
  if (abi === undefined && fs.existsSync(c.cmake)) {
    const m = /_GLIBCXX_USE_CXX11_ABI=(\d)/.exec(fs.readFileSync(c.cmake, 'utf8'));
    if (m) abi = m[1];
  }
  return { ...c, libs, cuda, abi: abi ?? '1' };
}

const what = process.argv[2];
const c = config();
switch (what) {
  case 'include': console.log(c.include.join(' ')); break;
  // --no-as-needed keeps libtorch_cuda loaded: its static initialisers register the CUDA kernels.
  case 'libs': console.log(['-Wl,--no-as-needed', ...c.libs.map((l) => `-l${l}`), '-Wl,--as-needed'].join(' ')); break;
  case 'ldflags': console.log(`-L${c.libDir} -Wl,-rpath,${c.libDir}`); break;
  case 'defines': console.log(`_GLIBCXX_USE_CXX11_ABI=${c.abi}${c.cuda ? ' HALITE_WITH_CUDA=1' : ''}`); break;
  case 'json': console.log(JSON.stringify(c, null, 2)); break;
  default:
    console.error('usage: libtorch-config.cjs include|libs|ldflags|defines|json');
    process.exit(2);
}
