"""``ownvoice mcp``: a Model Context Protocol server over stdio, so an agent can draft "in my voice".

Built on the ``mcp`` package's 2.x ``MCPServer`` (1.x called it ``FastMCP`` under another module; the
version is pinned in pyproject). One tool, ``draft_email``, and one resource per profile with its style
summary. The drafting itself is the endpoint's ``DraftService``: same profile, exemplars, adapter,
checks and logging as every other draft.
"""

from __future__ import annotations

from .http_server import DraftService


def style_text(stats, profile: str) -> str:
    """A profile's style summary as a short text an agent can read."""
    lines = [f"Style of profile {profile!r} (from {stats.documents} of the user's own mails)"]
    if stats.name:
        lines.append(f"Signs as: {stats.name}")
    if stats.greeting:
        lines.append(f"Usual greeting: {stats.greeting}")
    if stats.closing:
        lines.append(f"Usual closing: {stats.closing}")
    if stats.median_words:
        lines.append(
            "Typical length: " + ", ".join(f"{k} {v} words" for k, v in sorted(stats.median_words.items()))
        )
    for name, greeting in sorted(stats.greetings_by_name.items())[:20]:
        lines.append(f"To {name}: {greeting}")
    return "\n".join(lines)


def build_mcp(service: DraftService):
    """The MCP server over ``service`` (not started)."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer(
        "ownvoice",
        instructions="Drafts emails in the user's own writing style, on the user's machine. Call draft_email "
        "with what the mail should say (and the mail being answered, if any); check 'unsupported' before "
        "sending.",
    )

    @server.tool(name="draft_email", description="Draft an email in the user's own voice.")
    def draft_email(
        instruction: str, incoming_mail: str = "", recipient: str = "", profile: str = ""
    ) -> dict:
        """Draft what ``instruction`` asks, answering ``incoming_mail`` if given."""
        body = {
            "model": profile,
            "messages": [{"role": "user", "content": instruction}],
            "incoming": incoming_mail,
            "recipient": recipient,
        }
        _, name, result = service.draft(body)
        return {
            "draft": result.text,
            "profile": name,
            "exemplar_subjects": [e.doc.subject for e in result.exemplars],
            "unsupported": [u.text for u in result.unsupported],
            "generation_id": result.generation_id,
        }

    @server.resource("ownvoice://style", name="style", description="The default profile's style summary")
    def style() -> str:
        return style_text(service.core.style(service.profile), service.profile)

    return server
