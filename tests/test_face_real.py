"Face tracking, crop/paste-back and landmarks on every shared real clip (skipped when ../shared/data/real is absent)."
import numpy as np
import pytest
from avface_nb.core import real_clips
from avface_nb.io import read_video
from avface_nb import face
from conftest import need_real

CLIPS = real_clips()

@pytest.fixture(scope='module', params=CLIPS or [None], ids=[p.name for p in CLIPS] or ['absent'])
def clip(request):
    if request.param is None:
        need_real('face tracking / paste-back / landmarks on the shared clips')
        pytest.skip('no real clips were listed when the tests were collected')
    return request.param, read_video(request.param, audio=False).frames

def test_tracking(clip):
    "Face found on ≥95% of frames; every-5th-frame tracking agrees with per-frame detection and is faster."
    p, fr = clip
    bm = face.detection_benchmark(fr, k=5)
    print(p.name, {k: round(v, 3) if isinstance(v, float) else v for k, v in bm.items()})
    assert bm['found_rate'] >= 0.95, (p.name, bm)
    assert bm['mean_iou'] >= 0.9 and bm['mean_iou_raw'] >= 0.85, (p.name, bm)
    assert bm['speedup'] > 2, (p.name, bm)
    assert face.track_faces(fr, k=5).found_rate >= 0.95

def test_paste_back(clip):
    "An unmodified crop pasted back gives ≥ 40 dB on the face box at S=256; at S=128 it is lower but sane."
    p, fr = clip
    tr = face.track_faces(fr, name=p)
    ps = {S: face.box_psnr(fr, face.paste_faces(fr, face.crop_faces(fr, tr.squares, S), tr.squares), tr.boxes)
          for S in (256, 128)}
    print(p.name, {S: round(v, 1) for S, v in ps.items()})
    assert ps[256] >= 40, (p.name, ps)
    assert 30 <= ps[128] <= ps[256], (p.name, ps)

def test_landmarks(clip):
    "Landmarks of brows, eyes, nose and mouth fall inside the face box; the mouth box holds the mouth points."
    p, fr = clip
    tr = face.track_faces(fr)
    sel = slice(None, None, 5)
    lm, b = face.face_landmarks(fr[sel], tr.boxes[sel]), tr.boxes[sel]
    x, y = lm[..., 0], lm[..., 1]
    inner = ((x >= b[:, None, 0]) & (x < b[:, None, 2]) & (y >= b[:, None, 1]) & (y < b[:, None, 3]))[:, 17:]
    assert inner.mean() > 0.95, (p.name, inner.mean())
    # every landmark (jaw included) lies inside the square crop
    sq = tr.squares[sel]
    assert ((x >= sq[:, None, 0]) & (x < sq[:, None, 2]) & (y >= sq[:, None, 1]) & (y < sq[:, None, 3])).mean() > 0.99
    mb = face.mouth_box(lm)
    m = lm[:, 48:68]
    assert ((m[..., 0] >= mb[:, None, 0]) & (m[..., 0] < mb[:, None, 2]) & (m[..., 1] >= mb[:, None, 1]) & (m[..., 1] < mb[:, None, 3])).all()

def test_aligned_round_trip(clip):
    "Aligned path: warp to the 5-point template at S=256, inverse warp and feathered paste-back keep ≥ 40 dB on the face box."
    p, fr = clip
    tr = face.track_faces(fr, name=p)
    crops, M, lm = face.align_faces(fr, tr.boxes, 256)
    ps = face.box_psnr(fr, face.paste_aligned(fr, crops, M), tr.boxes)
    res = np.linalg.norm(face.apply_affine(face.five_points(lm), M) - (face.TEMPLATE_5 * 256 - 0.5), axis=-1).mean()
    print(p.name, f'aligned round trip {ps:.1f} dB, 5-point residual {res:.1f} px at 256')
    assert ps >= 40, (p.name, ps)
    assert res < 0.06 * 256, (p.name, res)
