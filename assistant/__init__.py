"""OwnVoice core: import, retrieval, prompting, drafting and training orchestration (no Qt here)."""
