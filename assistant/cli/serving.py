"""Sub-commands that let other apps draft in your voice: the OpenAI-compatible endpoint and MCP."""

from __future__ import annotations


def cmd_serve(args) -> int:
    """ownvoice serve [--host H] [--port P] [--profile P] [--show-token]: the OpenAI-compatible endpoint."""
    from ..app import OwnVoice
    from ..serve.auth import load_or_create_token
    from ..serve.http_server import DraftService, make_server

    core = OwnVoice(args.home)
    token = args.token or load_or_create_token(core.home)
    if args.show_token:
        print(token)
        return 0
    server = make_server(
        DraftService(core, args.profile),
        token,
        args.host,
        args.port,
        allow_remote=args.allow_remote,
        explicit_token=bool(args.token),
    )
    host, port = str(server.server_address[0]), server.server_address[1]
    print(
        f"OwnVoice drafts at http://{host}:{port}/v1 (OpenAI-compatible; the token: ownvoice serve "
        f"--show-token)"
    )
    print("Ctrl+C stops it.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        core.close()
    return 0


def cmd_mcp(args) -> int:
    """ownvoice mcp [--profile P]: the MCP server over stdio (draft_email tool, style resource)."""
    import importlib.util

    from ..app import OwnVoice
    from ..errors import OwnVoiceError
    from ..serve.http_server import DraftService
    from ..serve.mcp_server import build_mcp

    if importlib.util.find_spec("mcp") is None:
        raise OwnVoiceError("the MCP server needs the mcp package: pip install 'ownvoice[serve]'")
    core = OwnVoice(args.home)
    try:
        build_mcp(DraftService(core, args.profile)).run("stdio")
    finally:
        core.close()
    return 0


def register(sub, common) -> None:
    """Add this group's sub-commands to the parser."""
    p = sub.add_parser("serve", help="draft from other apps: an OpenAI-compatible endpoint on this machine")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (loopback unless --allow-remote)"
    )
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--show-token", action="store_true", help="print the bearer token clients need, and exit")
    p.add_argument(
        "--token", help="use this bearer token instead of the stored one (needed with --allow-remote)"
    )
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host (with --token)")
    common(p, json_flag=False)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mcp", help="a Model Context Protocol server over stdio (tool: draft_email)")
    common(p, json_flag=False)
    p.set_defaults(func=cmd_mcp)
