"""A mesh file's triangles come out decimated and wound outward (the view drops back faces);
the winding is fixed on the decimated triangles, so its cost is bounded whatever the file
(fixed on the whole mesh, a 29,000-face leg of 400 parts took 12 s, its 830 triangles 0.6 s)."""

import numpy as np
import pytest

from armsim.kinematics.visuals import MAX_TRIANGLES, _load_mesh

trimesh = pytest.importorskip("trimesh")


def _outward(V, F):
    """The share of triangles whose normal points away from the centre of a sphere."""
    tri = V[F]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return float(np.mean(np.einsum("ij,ij->i", n, tri.mean(axis=1) - V.mean(axis=0)) > 0))


@pytest.mark.parametrize("scale", [(1.0, 1.0, 1.0), (-1.0, 1.0, 1.0)])
@pytest.mark.parametrize("subdivisions", [2, 4])        # 320 and 5,120 triangles
def test_an_inward_mesh_comes_out_outward_and_bounded(tmp_path, monkeypatch, subdivisions,
                                                       scale):
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.1)
    inward = trimesh.Trimesh(sphere.vertices, sphere.faces[:, ::-1], process=False)
    path = tmp_path / "ball.stl"
    inward.export(path)
    fixed = []
    real = trimesh.Trimesh.fix_normals

    def spy(self, *args, **kwargs):
        fixed.append(len(self.faces))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(trimesh.Trimesh, "fix_normals", spy)
    V, F = _load_mesh(path, np.array(scale))
    assert len(F) <= MAX_TRIANGLES and _outward(V, F) == 1.0
    assert fixed and max(fixed) <= MAX_TRIANGLES        # never the whole 5,120
    assert np.allclose(np.abs(V).max(axis=0), 0.1, atol=0.02)


def test_a_mesh_whose_winding_cannot_be_fixed_is_kept(tmp_path, monkeypatch):
    path = tmp_path / "box.stl"
    trimesh.creation.box(extents=(0.1, 0.2, 0.3)).export(path)

    def broken(self, *args, **kwargs):
        raise ImportError("no graph library")

    monkeypatch.setattr(trimesh.Trimesh, "fix_normals", broken)
    V, F = _load_mesh(path, np.ones(3))
    assert len(F) == 12 and np.allclose(V.max(axis=0) - V.min(axis=0), (0.1, 0.2, 0.3))
