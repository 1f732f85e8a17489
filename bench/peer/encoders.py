"""The peer of halite's encoders in plain PyTorch, with torchvision's and pretrainedmodels' module
names (torchvision and pretrainedmodels are not Debian packages). Used by `halite bench encoders`
for per-image forward/backward times and by the tests to write a torchvision-named state dict.

  python3 encoders.py bench NAME --batch B --size S --steps N --threads T   -> JSON line
  python3 encoders.py save NAME FILE.safetensors INPUT.bin OUTPUT.bin       -> random weights (eval-mode
      BN statistics perturbed), a fixed input and the deepest feature map, for a loading test
"""
import json, struct, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class Bottleneck(nn.Module):
    """torchvision's v1.5 bottleneck; with groups, base_width 4 and reduction 16, pretrainedmodels' SEResNeXtBottleneck."""
    expansion = 4

    def __init__(self, cin, planes, stride, groups=1, base_width=64, reduction=None):
        super().__init__()
        width = (planes * base_width // 64) * groups
        out = planes * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.se_module = SEModule(out, reduction) if reduction else None
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.se_module is not None:
            y = self.se_module(y)
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, block, layers, in_ch=3, stem='7x7'):
        super().__init__()
        self.pool = stem == '7x7'
        self.conv1 = nn.Conv2d(in_ch, 64, 7, 2, 3, bias=False) if self.pool else nn.Conv2d(in_ch, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for i, n in enumerate(layers):
            blocks = []
            for b in range(n):
                blocks.append(block(cin, 64 * 2 ** i, 2 if b == 0 and i > 0 else 1))
                cin = 64 * 2 ** i * block.expansion
            setattr(self, f'layer{i + 1}', nn.Sequential(*blocks))
        self.fc = nn.Linear(cin, 1000)

    def features(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        if self.pool:
            x = F.max_pool2d(x, 3, 2, 1)
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
        return x


class SEModule(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.fc2 = nn.Conv2d(c // r, c, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))


class Layer0(nn.Module):
    def __init__(self, in_ch):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)

    def forward(self, x):
        return F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, ceil_mode=True)


class SEResNeXt(nn.Module):
    def __init__(self, layers, in_ch=3):
        super().__init__()
        self.layer0 = Layer0(in_ch)
        cin = 64
        for i, n in enumerate(layers):
            blocks = []
            for b in range(n):
                blocks.append(Bottleneck(cin, 64 * 2 ** i, 2 if b == 0 and i > 0 else 1, groups=32, base_width=4, reduction=16))
                cin = 64 * 2 ** i * 4
            setattr(self, f'layer{i + 1}', nn.Sequential(*blocks))
        self.last_linear = nn.Linear(cin, 1000)

    def features(self, x):
        x = self.layer0(x)
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
        return x


def build(name, in_ch=3):
    table = {
        'resnet18': lambda: ResNet(BasicBlock, [2, 2, 2, 2], in_ch),
        'resnet34': lambda: ResNet(BasicBlock, [3, 4, 6, 3], in_ch),
        'resnet34_3x3': lambda: ResNet(BasicBlock, [3, 4, 6, 3], in_ch, stem='3x3'),
        'resnet50': lambda: ResNet(Bottleneck, [3, 4, 6, 3], in_ch),
        'se_resnext50_32x4d': lambda: SEResNeXt([3, 4, 6, 3], in_ch),
        'se_resnext101_32x4d': lambda: SEResNeXt([3, 4, 23, 3], in_ch),
    }
    return table[name]()


def save_safetensors(path, tensors):
    """The format's spec: 8-byte little-endian header length, JSON header, raw little-endian data."""
    names = {torch.float32: 'F32', torch.int64: 'I64'}
    header, blobs, offset = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().contiguous().cpu().numpy().tobytes()
        header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def main():
    cmd, name = sys.argv[1], sys.argv[2]
    if cmd == 'save':
        torch.manual_seed(0)
        m = build(name)
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, nn.BatchNorm2d):  # non-trivial statistics, so loading them matters
                    mod.running_mean.uniform_(-0.1, 0.1)
                    mod.running_var.uniform_(0.5, 1.5)
                    mod.weight.uniform_(0.5, 1.5)
                    mod.bias.uniform_(-0.1, 0.1)
        m.eval()
        save_safetensors(sys.argv[3], m.state_dict())
        x = torch.rand(2, 1, 64, 64)
        with torch.no_grad():
            y = m.features(x.repeat(1, 3, 1, 1))  # a grey tile as RGB, as a 1-channel adapted stem sees it
        open(sys.argv[4], 'wb').write(x.numpy().tobytes())
        open(sys.argv[5], 'wb').write(y.contiguous().numpy().tobytes())
        print(json.dumps({'shape': list(y.shape), 'params': sum(p.numel() for p in m.parameters())}))
        return
    args = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    torch.set_num_threads(int(args.get('--threads', '1')))
    torch.manual_seed(0)
    b, s, steps = int(args.get('--batch', '8')), int(args.get('--size', '128')), int(args.get('--steps', '3'))
    m = build(name, 1)
    m.train()
    x = torch.rand(b, 1, s, s)
    m.features(x).mean().backward()  # warm-up
    fwd = bwd = 0.0
    for _ in range(steps):
        m.zero_grad()
        t0 = time.perf_counter()
        y = m.features(x).mean()
        t1 = time.perf_counter()
        y.backward()
        t2 = time.perf_counter()
        fwd += t1 - t0
        bwd += t2 - t1
    print(json.dumps({'forward_ms': 1000 * fwd / (steps * b), 'backward_ms': 1000 * bwd / (steps * b), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
