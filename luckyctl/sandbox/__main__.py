"""Entry point of the sandbox's service processes: ``python -m luckyctl.sandbox SERVICE --state-dir DIR``.

The manager starts one process per service; each reads the settings the
manager wrote into the state directory. People use ``luckyctl sandbox up``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

from luckyctl.sandbox.paths import SandboxPaths
from luckyctl.sandbox.settings import SandboxSettings

SERVICES = ("serve-api", "serve-google", "serve-sql-proxy")


def _serve_asgi(app: Any, port: int) -> None:
    import uvicorn

    # h11 on purpose: the fault injector's dropped connections reach into its transport
    config = uvicorn.Config(app, host=SandboxSettings.host, port=port, http="h11", loop="asyncio",
                            lifespan="off", log_level="info")
    uvicorn.Server(config).run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m luckyctl.sandbox", description=__doc__)
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    paths = SandboxPaths(args.state_dir)
    settings = SandboxSettings.from_json(paths.settings_file.read_text())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.service == "serve-api":
        from luckyctl.sandbox.lucky_api import create_app

        _serve_asgi(create_app(settings, paths), settings.api_port)
    elif args.service == "serve-google":
        from luckyctl.sandbox.google_apis import create_app as create_google_app

        _serve_asgi(create_google_app(settings, paths), settings.google_port)
    else:
        from luckyctl.sandbox.pki import SandboxPki
        from luckyctl.sandbox.tls_proxy import SqlProxy

        asyncio.run(SqlProxy(settings, SandboxPki(paths.pki_dir)).serve_forever())


if __name__ == "__main__":
    main()
