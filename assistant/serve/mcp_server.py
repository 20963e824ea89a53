"""``ownvoice mcp``: a Model Context Protocol server over stdio, so an agent can draft "in my voice".

Built on the ``mcp`` package's 2.x ``MCPServer`` (1.x called it ``FastMCP`` under another module; the
version is pinned in pyproject). Tools ``draft_email`` and ``accept_draft`` (the user kept a draft: OwnVoice
learns from the edit), and a resource with the profile's style card. The drafting itself is the endpoint's
``DraftService``: same profile, exemplars, adapter, checks and logging as every other draft.
"""

from __future__ import annotations

from .http_server import DraftService


def style_text(card, profile: str) -> str:
    """A profile's style card as a short text an agent can read."""
    lines = [f"Style of profile {profile!r} (from {card.documents} of the user's own mails)"]
    if card.name:
        lines.append(f"Signs as: {card.name}")
    if card.greeting_template or card.greeting:
        lines.append(f"Usual greeting: {card.greeting_template or card.greeting}")
    if card.closing:
        lines.append(f"Usual closing: {card.closing}")
    lines += card.prompt_lines("email")
    for name, greeting in sorted(card.greetings_by_name.items())[:20]:
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

    @server.tool(
        name="accept_draft",
        description="Report that the user kept a draft (give final_text when they changed it): it becomes "
        "their writing and OwnVoice learns from the edit.",
    )
    def accept_draft(generation_id: int, final_text: str = "", subject: str = "") -> dict:
        """Keep draft ``generation_id`` as the user's writing (``final_text``: what they sent, if edited)."""
        return service.accept(
            {"generation_id": generation_id, "final_text": final_text or None, "subject": subject}
        )

    @server.resource("ownvoice://style", name="style", description="The default profile's style card")
    def style() -> str:
        return style_text(service.core.style_card(service.profile), service.profile)

    return server
