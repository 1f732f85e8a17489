# PNG files of every colour type and bit depth (101x101), with what PIL reads from each: the test's
# independent expectation for halite's one PNG decoder (test/inputs.test.ts).
#
# usage: python3 png_variants.py OUTDIR   -> OUTDIR/<name>.png, OUTDIR/<name>.grey (uint16 LE, one value
# a pixel), OUTDIR/<name>.salt (uint8 0/1) and OUTDIR/manifest.json [{name, scale}].
# grey = PIL's convert('L') (so value/255 is the tile value), or the 16-bit sample for 16-bit grey
# (value/65535). PIL reads 16-bit colour as 8 bits, so for those `grey` is PIL's formula
# L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 on the 16-bit samples the file holds, and `pil8` (the
# 8-bit convert('L')) is kept for a cross-check. salt = the pixel is not black (PIL's RGB reading).
# PIL writes the kinds it can (8-bit grey/LA/RGB/RGBA, 16-bit grey, palettes at 1/2/4/8 bits with
# filters and its own zlib); the writer below makes the rest (1/2/4-bit grey, 16-bit colour and
# grey+alpha, tRNS on grey and RGB, Adam7 interlacing), and PIL reads them all back.
import json
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

W = H = 101
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_rows(a, depth):
    """Rows of samples (h, w, c) as PNG scanlines, filter type 0, each row padded to a whole byte."""
    out = []
    for row in a:
        flat = row.reshape(-1)
        if depth == 16:
            b = flat.astype('>u2').tobytes()
        elif depth == 8:
            b = flat.astype(np.uint8).tobytes()
        else:
            per = 8 // depth
            padded = np.zeros(-(-len(flat) // per) * per, dtype=np.int64)
            padded[: len(flat)] = flat
            groups = padded.reshape(-1, per)
            shifts = 8 - depth * (np.arange(per) + 1)
            b = (groups << shifts).sum(axis=1).astype(np.uint8).tobytes()
        out.append(b'\x00' + b)
    return b''.join(out)


def write_png(path, a, ct, depth, palette=None, trns=None, interlace=False):
    h, w, _ = a.shape
    body = chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ct, 0, 0, 1 if interlace else 0))
    if palette is not None:
        body += chunk(b'PLTE', bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        body += chunk(b'tRNS', trns)
    if interlace:
        raw = b''.join(pack_rows(a[ys::dy, xs::dx], depth) for xs, ys, dx, dy in ADAM7 if a[ys::dy, xs::dx].size)
    else:
        raw = pack_rows(a, depth)
    body += chunk(b'IDAT', zlib.compress(raw, 9))
    Path(path).write_bytes(b'\x89PNG\r\n\x1a\n' + body + chunk(b'IEND', b''))


def palette_for(rng, n):
    """n colours in no grey order, black first and a dark red (L 0, not black) second."""
    pal = rng.integers(0, 256, (n, 3))
    pal[0] = (0, 0, 0)
    if n > 2:
        pal[1] = (1, 0, 0)
    return pal


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(19)
    manifest = []

    def samples(depth, c, zeros=0.1):
        a = rng.integers(0, 2 ** depth, (H, W, c))
        a[rng.random((H, W)) < zeros] = 0  # black pixels for the masks
        return a

    def pil(name, img, **save):
        img.save(out / f'{name}.png', **save)

    def own(name, a, ct, depth, **kw):
        write_png(out / f'{name}.png', a, ct, depth, **kw)

    made = []
    for depth in (1, 2, 4, 8, 16):
        a = samples(depth, 1)
        if depth == 8:
            pil('grey8', Image.fromarray(a[..., 0].astype(np.uint8), 'L'))
        elif depth == 16:
            pil('grey16', Image.fromarray(a[..., 0].astype(np.uint16), 'I;16'))
        else:
            own(f'grey{depth}', a, 0, depth)
        made.append(f'grey{depth}')
        own(f'grey{depth}-interlaced', a, 0, depth, interlace=True)
        made.append(f'grey{depth}-interlaced')
    for depth in (8, 16):
        la, rgb, rgba = samples(depth, 2), samples(depth, 3), samples(depth, 4)
        if depth == 8:
            pil('la8', Image.fromarray(la.astype(np.uint8), 'LA'))
            pil('rgb8', Image.fromarray(rgb.astype(np.uint8), 'RGB'))
            pil('rgba8', Image.fromarray(rgba.astype(np.uint8), 'RGBA'))
        else:
            own('la16', la, 4, 16)
            own('rgb16', rgb, 2, 16)
            own('rgba16', rgba, 6, 16)
        own(f'rgb{depth}-interlaced', rgb, 2, depth, interlace=True)
        own(f'rgba{depth}-interlaced', rgba, 6, depth, interlace=True)
        own(f'la{depth}-interlaced', la, 4, depth, interlace=True)
        made += [f'la{depth}', f'rgb{depth}', f'rgba{depth}', f'rgb{depth}-interlaced', f'rgba{depth}-interlaced', f'la{depth}-interlaced']
    # tRNS on grey and RGB marks one colour transparent; PIL's grey still is the colour.
    g = samples(8, 1)
    own('grey8-trns', g, 0, 8, trns=struct.pack('>H', int(g[0, 0, 0])))
    c = samples(8, 3)
    own('rgb8-trns', c, 2, 8, trns=struct.pack('>HHH', *(int(v) for v in c[0, 0])))
    made += ['grey8-trns', 'rgb8-trns']
    for depth in (1, 2, 4, 8):
        n = 2 ** depth
        pal = palette_for(rng, n)
        idx = rng.integers(0, n, (H, W))
        img = Image.fromarray(idx.astype(np.uint8), 'P')
        img.putpalette(pal.reshape(-1).tolist())
        pil(f'palette{depth}', img, bits=depth)
        own(f'palette{depth}-interlaced', idx[..., None], 3, depth, palette=pal, interlace=True)
        own(f'palette{depth}-trns', idx[..., None], 3, depth, palette=pal, trns=bytes(rng.integers(0, 256, n).astype(np.uint8)))
        made += [f'palette{depth}', f'palette{depth}-interlaced', f'palette{depth}-trns']

    for name in made:
        img = Image.open(out / f'{name}.png')
        img.load()
        entry = {'name': name, 'mode': img.mode}
        raw16 = name.startswith(('la16', 'rgb16', 'rgba16'))
        if img.mode in ('I', 'I;16'):
            grey = np.array(img).astype(np.int64)
            salt = grey > 0
            entry['scale'] = 65535
        elif raw16:
            a = read_raw16(out / f'{name}.png')
            if a.shape[2] >= 3:
                grey = (a[..., 0] * 19595 + a[..., 1] * 38470 + a[..., 2] * 7471 + 0x8000) >> 16
                salt = a[..., :3].any(axis=2)
            else:
                grey = a[..., 0]
                salt = grey > 0
            entry['scale'] = 65535
            (out / f'{name}.pil8').write_bytes(np.array(img.convert('L')).astype(np.uint8).tobytes())
        else:
            grey = np.array(img.convert('L')).astype(np.int64)
            salt = np.array(img.convert('RGB')).any(axis=2)
            entry['scale'] = 255
        (out / f'{name}.grey').write_bytes(grey.astype('<u2').tobytes())
        (out / f'{name}.salt').write_bytes(salt.astype(np.uint8).tobytes())
        manifest.append(entry)
    (out / 'manifest.json').write_text(json.dumps(manifest))


def read_raw16(path):
    """The 16-bit samples of a file this script wrote (filter 0, one IDAT), de-interlaced."""
    data = Path(path).read_bytes()
    pos, ihdr, idat = 8, None, b''
    while pos < len(data):
        n, = struct.unpack('>I', data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            ihdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    w, h, depth, ct, _, _, lace = ihdr
    assert depth == 16
    c = CHANNELS[ct]
    raw = zlib.decompress(idat)
    a = np.zeros((h, w, c), dtype=np.int64)
    passes = ADAM7 if lace else [(0, 0, 1, 1)]
    off = 0
    for xs, ys, dx, dy in passes:
        sub = a[ys::dy, xs::dx]
        ph, pw = sub.shape[:2]
        if ph == 0 or pw == 0:
            continue
        for r in range(ph):
            assert raw[off] == 0
            row = np.frombuffer(raw[off + 1:off + 1 + pw * c * 2], dtype='>u2').reshape(pw, c)
            sub[r] = row
            off += 1 + pw * c * 2
    return a


if __name__ == '__main__':
    main(sys.argv[1])
