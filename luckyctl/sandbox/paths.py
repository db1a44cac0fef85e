"""Where the sandbox keeps its files inside its state directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SandboxPaths:
    state_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.state_dir / "settings.json"

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pki_dir(self) -> Path:
        return self.state_dir / "pki"

    @property
    def postgres_dir(self) -> Path:
        return self.state_dir / "postgres"

    @property
    def pgdata(self) -> Path:
        return self.postgres_dir / "data"

    @property
    def google_state_file(self) -> Path:
        return self.state_dir / "google-state.json"

    @property
    def deployments_dir(self) -> Path:
        """One JSON record per Cloud Run service, read by the Lucky Gas API's ``/version``."""
        return self.state_dir / "cloud-run"

    @property
    def credentials_file(self) -> Path:
        """A service-account key file whose ``token_uri`` is the stand-in's token endpoint."""
        return self.state_dir / "service-account.json"

    def pid_file(self, service: str) -> Path:
        return self.run_dir / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.logs_dir / f"{service}.log"

    def create(self) -> None:
        for directory in (self.state_dir, self.run_dir, self.logs_dir, self.pki_dir, self.deployments_dir):
            directory.mkdir(parents=True, exist_ok=True)
