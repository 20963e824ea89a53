"""The application object the CLI and GUI share: data home, settings, store, lazily loaded models.

Heavy things (llama.cpp model, sentence-transformers, torch) load on first use, never at start-up.
The GUI holds ONE of these per data home for its whole life (one store connection, one loaded model);
its threads share the connection, which serializes statements and write transactions
(``store.db.SerializedConnection``). Every write says what it changed (``Changes``) to the listeners, so
each screen refreshes itself; ``poll_elsewhere`` turns another process's commits into changes too.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ownvoice.store import documents as docs_table
from ownvoice.store import generations as gen_table
from ownvoice.store import open_db
from ownvoice.store.profiles import Profile, ensure_profile, get_profile, list_profiles

from .backends import get_embedder, get_generator
from .backends.base import Embedder, Generator
from .backends.defaults import DEFAULT_EMBEDDER_NAME, default_embedder_path, default_gguf_path
from .changes import ChangeListener, Changes
from .compose import Composer, DraftResult, request_recipient, retrieve_exemplars
from .config import Settings, load_settings, save_settings
from .errors import (
    EmptyCorpusError,
    InputError,
    ModelError,
    ProfileError,
    StorageError,
    is_disk_failure,
    storage_error,
)
from .ingest import ImportSummary, import_paths
from .jobs import CancelToken, ProgressFn
from .paths import DB_FILENAME, data_home
from .prompts import DraftRequest
from .retrieval import Exemplar, embed_missing, search
from .style_card import StyleCard

_SHA_CACHE: dict[tuple, str] = {}


@dataclass(frozen=True)
class EngineState:
    """What drafts are made with for a profile: the model file and the active adapter version (None: none)."""

    model_name: str
    adapter_version: Optional[int]


def model_sha256(path: str) -> str:
    """sha256 of a model file, cached by (path, size, mtime)."""
    from ownvoice.adapters.base_model import file_sha256

    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = file_sha256(Path(path))
    return _SHA_CACHE[key]


class OwnVoice:
    """One data home: its settings, its store and the models it uses."""

    def __init__(self, home: Optional[str | Path] = None) -> None:
        self.home = data_home(home)
        self.settings: Settings = load_settings(self.home)
        try:
            self.db = open_db(self.home / DB_FILENAME)
        except (sqlite3.Error, OSError) as exc:  # a full disk, a read-only folder, a damaged file
            raise storage_error(exc, f"cannot open your data in {self.home}", self.home) from exc
        self._generator: Optional[Generator] = None
        self._embedder: Optional[Embedder] = None
        self._lock = threading.Lock()
        self._listeners: list[ChangeListener] = []
        self._data_version = self.data_version()

    # what changed ----------------------------------------------------------------------------
    def subscribe(self, listener: ChangeListener) -> None:
        """Call ``listener(changes)`` after every write (on the thread that wrote)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: ChangeListener) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, changes: Changes) -> None:
        for listener in list(self._listeners):
            listener(changes)

    def poll_elsewhere(self) -> Changes:
        """Changes another process (a CLI import, a second app) committed since the last poll; told to
        listeners."""
        version = self.data_version()
        if version == self._data_version:
            return Changes()
        self._data_version = version
        changes = Changes.from_elsewhere()
        self._changed(changes)
        return changes

    # settings and profiles -------------------------------------------------------------------
    def save_settings(self) -> None:
        """Persist the settings."""
        save_settings(self.home, self.settings)
        self._changed(Changes(settings=True))

    def profile(self, name: Optional[str] = None, create: bool = False) -> Profile:
        """The named (or default) profile. Reading never creates one: only ``create=True`` (import, first
        run) does."""
        name = name or self.settings.default_profile
        prof = get_profile(self.db, name)
        if prof is None and create:
            prof = ensure_profile(self.db, name)
            self._changed(Changes(profiles=True))
        if prof is None:
            known = ", ".join(p.name for p in list_profiles(self.db)) or "none yet: import your mail first"
            raise ProfileError(f"no profile called {name!r} (profiles: {known})")
        return prof

    def list_profiles(self) -> list[Profile]:
        """Every profile."""
        return list_profiles(self.db)

    def create_profile(self, name: str) -> Profile:
        """Create a profile (a clear error when the name is empty or taken)."""
        name = name.strip()
        if not name:
            raise ProfileError("a profile needs a name")
        if get_profile(self.db, name) is not None:
            raise ProfileError(f"there is already a profile called {name!r}")
        prof = ensure_profile(self.db, name)
        self._changed(Changes(profiles=True))
        return prof

    def rename_profile(self, profile_id: int, name: str) -> None:
        """Rename a profile (a clear error when the name is empty or taken)."""
        from ownvoice.store.profiles import rename_profile

        name = name.strip()
        if not name:
            raise ProfileError("a profile needs a name")
        other = get_profile(self.db, name)
        if other is not None and other.id != profile_id:
            raise ProfileError(f"there is already a profile called {name!r}")
        rename_profile(self.db, profile_id, name)
        self._changed(Changes(profiles=True))

    def delete_profile(self, profile_id: int) -> None:
        """Delete a profile with its documents, drafts, adapters' rows and files."""
        from ownvoice.store.adapters import list_adapters
        from ownvoice.store.profiles import delete_profile

        for row in list_adapters(self.db, profile_id):
            self.delete_adapter(row.id)
        delete_profile(self.db, profile_id)
        self._changed(Changes(profiles=True, documents=True, adapters=True))

    def set_addresses(self, profile_id: int, addresses: list[str]) -> None:
        """The user's own addresses for a profile (import filter, From: of exported mail)."""
        from ownvoice.store.profiles import update_profile

        update_profile(self.db, profile_id, addresses=[a.strip() for a in addresses if a.strip()])
        self._changed(Changes(profiles=True))

    # documents: what screens read and write --------------------------------------------------
    def get_document(self, document_id: int):
        """One document (any provenance), or None."""
        return docs_table.get_document(self.db, document_id)

    def save_text(
        self,
        profile_id: int,
        document_id: Optional[int],
        subject: str,
        body: str,
        *,
        kind: str = "email",
        source: str = "typed",
        recipients: str = "",
        generation_id: Optional[int] = None,
    ) -> int:
        """Autosave the editor's text (a new revision); a generation's text stays a draft until approved.
        StorageError (disk full...) when it cannot be written: the caller keeps the text and retries."""
        try:
            document_id = docs_table.save_draft(
                self.db,
                profile_id,
                document_id,
                subject,
                body,
                kind=kind,
                source=source,
                recipients=recipients,
                generation_id=generation_id,
            )
        except sqlite3.OperationalError as exc:
            raise storage_error(exc, "not saved yet", self.home) from exc
        self._changed(Changes(documents=True))
        return document_id

    def library(
        self,
        profile_id: int,
        text: str = "",
        kind: Optional[str] = None,
        source: Optional[str] = None,
        limit: int = 500,
    ) -> list:
        """A profile's documents for the library, newest first; full-text filtered when ``text``."""
        if text.strip():
            ids = [
                i
                for i, _ in docs_table.search_fts(
                    self.db, profile_id, text, limit=limit, kind=kind, writing_only=False
                )
            ]
            found = docs_table.get_documents(self.db, ids)
            return [found[i] for i in ids if i in found and (not source or found[i].source == source)]
        return list(
            reversed(
                docs_table.list_documents(self.db, profile_id, kind=kind, source=source, writing_only=False)
            )
        )[:limit]

    def list_adapters(self, profile_id: int) -> list:
        """A profile's adapter versions."""
        from ownvoice.store.adapters import list_adapters

        return list_adapters(self.db, profile_id)

    def set_active_adapter(self, profile_id: int, adapter_id: Optional[int]) -> None:
        """Make an adapter version the active one (None: none)."""
        from ownvoice.store.adapters import set_active

        set_active(
            self.db, profile_id, adapter_id, None if adapter_id is not None else model_sha256(self.model_path)
        )
        self._changed(Changes(adapters=True))

    def list_models(self) -> list:
        """The registered GGUF models (the embedded default first)."""
        from .models import list_models

        return list_models(self.db)

    def add_model(self, path: Path):
        """Register a GGUF model (validated)."""
        from .models import add_model

        model = add_model(self.db, Path(path))
        self._changed(Changes(models=True))
        return model

    def models_overview(self) -> list:
        """Every model with its sha256 and, per profile, its adapter versions and the active one."""
        from ownvoice.store.adapters import list_adapters

        from .models import remember_sha256, stored_sha256

        models = self.list_models()
        by_base: dict[str, dict] = {}
        for prof in self.list_profiles():
            for row in list_adapters(self.db, prof.id):
                entry = by_base.setdefault(row.base_sha256, {}).setdefault(
                    prof.name, {"versions": [], "active": None}
                )
                entry["versions"].append(row.version)
                if row.active:
                    entry["active"] = row.version
        for m in models:
            if not Path(m.path).is_file():
                continue
            m.sha256 = "" if m.default else stored_sha256(self.db, m)  # kept while the file is unchanged
            if not m.sha256:
                m.sha256 = model_sha256(m.path)
                if not m.default:
                    remember_sha256(self.db, m, m.sha256)
            m.adapters = by_base.get(m.sha256, {})
        return models

    def scan_models(self) -> list:
        """GGUF models LM Studio, Ollama, GPT4All, Jan and the Hugging Face cache keep on this machine."""
        from .model_scan import scan_models

        return scan_models()

    def use_model(self, path: Path):
        """Draft and train with the GGUF at ``path`` from now on (registered first if it is new); each model
        keeps its own adapters."""
        from .backends.defaults import default_gguf_path
        from .models import check_gguf

        path = Path(path).expanduser().resolve()
        check_gguf(
            path
        )  # a listed model whose file is gone, or no file at all: said now, not at the next draft
        models = self.list_models()
        info = next((m for m in models if Path(m.path) == path), None) or self.add_model(path)
        self.settings.model_path = "" if path == default_gguf_path().resolve() else str(path)
        self.save_settings()
        self._changed(Changes(models=True, settings=True, adapters=True))
        return info

    def download_model(
        self,
        name: str,
        url: Optional[str] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ):
        """Download the catalogue model ``name`` into the data home's models folder (resuming a part, checking
        its sha256) and register it; ``url`` replaces the catalogue's (a mirror). Returns (Downloaded,
        ModelInfo)."""
        from .model_catalog import entry_for
        from .model_download import download
        from .models import remember_sha256
        from .paths import MODELS_DIRNAME, subdir

        entry = entry_for(name, url)
        if entry.embedded:
            raise ModelError(f"{entry.title} ships with OwnVoice: nothing to download")
        done = download(
            entry.url, subdir(self.home, MODELS_DIRNAME) / entry.file, entry.sha256, progress, cancel
        )
        info = self.add_model(done.path)
        remember_sha256(self.db, info, done.sha256)
        info.sha256 = done.sha256
        return done, info

    def data_version(self) -> int:
        """A number that changes whenever another connection (the worker, a CLI import) commits to the
        store."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def engine_state(self, profile_id: int) -> EngineState:
        """The model and the active adapter version drafts for this profile use."""
        row = self._active_adapter_for(profile_id, self.model_path)
        return EngineState(Path(self.model_path).name, row.version if row else None)

    def _active_adapter_for(self, profile_id: int, model_path: str):
        """The profile's active adapter for the model at ``model_path`` (the file is hashed only when the
        profile has adapters at all: a multi-GB model takes seconds to hash, once per process)."""
        from ownvoice.store.adapters import active_adapter

        if active_adapter(self.db, profile_id) is None:
            return None
        return active_adapter(self.db, profile_id, model_sha256(model_path))

    # models ----------------------------------------------------------------------------------
    @property
    def model_path(self) -> str:
        """The GGUF used for drafting."""
        return self.settings.model_path or str(default_gguf_path())

    def generator(self, model_path: Optional[str] = None) -> Generator:
        """The generator (loaded once; a different model path loads that model)."""
        path = model_path or self.model_path
        with self._lock:
            if self._generator is None or self._generator.model_path != str(path):
                s = self.settings
                remote = (
                    {"base_url": s.remote_url, "api_key": s.remote_api_key, "adapters": s.remote_adapters}
                    | {"model": s.remote_model}
                    if s.generator_backend == "openai-compatible"
                    else {}
                )
                self._generator = get_generator(s.generator_backend, str(path), n_ctx=s.n_ctx, **remote)
            return self._generator

    def embedder(self) -> Embedder:
        """The embedder (loaded once)."""
        with self._lock:
            if self._embedder is None:
                path = self.settings.embedder_path or str(default_embedder_path())
                name = None if self.settings.embedder_path else DEFAULT_EMBEDDER_NAME
                self._embedder = get_embedder(
                    self.settings.embedder_backend, path, name=name, cache_dir=self.cache_dir()
                )
            return self._embedder

    # jobs ------------------------------------------------------------------------------------
    def import_paths(
        self,
        paths: list[Path],
        profile: Optional[str] = None,
        addresses: Optional[list[str]] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
        embed: bool = True,
    ) -> ImportSummary:
        """Import files into a profile (created if new, and only if the import succeeds), then embed what
        is new."""
        name = profile or self.settings.default_profile
        prof = get_profile(self.db, name)
        existed = prof is not None
        prof = prof or ensure_profile(self.db, name)  # told to listeners only once the import has landed
        try:
            summary = import_paths(self.db, prof, [Path(p) for p in paths], addresses, progress, cancel)
        except Exception:
            if not existed and not docs_table.list_documents(self.db, prof.id, writing_only=False):
                from ownvoice.store.profiles import delete_profile

                delete_profile(self.db, prof.id)  # a failed import leaves no trace, not even a new profile
            raise
        self._changed(Changes(documents=True, profiles=not existed))
        if embed:
            try:
                self.embed(prof, progress, cancel)
            except (
                StorageError
            ) as exc:  # the mail is in; its search vectors follow at the next draft or search
                summary.embedding_error = str(exc)
        return summary

    def embed(
        self, profile: Profile, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None
    ) -> int:
        """Embed the profile's documents that have no vector yet (StorageError when they cannot be saved)."""
        try:
            return embed_missing(self.db, profile.id, self.embedder(), progress, cancel)
        except sqlite3.OperationalError as exc:
            raise storage_error(exc, "search vectors not saved", self.home) from exc

    def _embed_what_fits(self, profile: Profile) -> None:
        """Embed what is new if the disk allows; searching and drafting go on with the vectors already
        stored."""
        try:
            self.embed(profile)
        except StorageError:
            pass

    def search(
        self, text: str, profile: Optional[str] = None, k: int = 5, kind: Optional[str] = None
    ) -> list[Exemplar]:
        """Exemplars for ``text``."""
        prof = self.profile(profile)
        self._embed_what_fits(prof)
        return search(
            self.db,
            prof.id,
            text,
            self.embedder(),
            k=k,
            kind=kind,
            recency_weight=self.settings.recency_weight,
        )

    def retrieve(self, request: DraftRequest, profile: Optional[str] = None) -> list[Exemplar]:
        """The exemplars a draft for ``request`` would get (mail to its addressee first); loads no LLM."""
        prof = self.profile(profile)
        self._embed_what_fits(prof)
        return retrieve_exemplars(
            self.db,
            self.embedder(),
            prof,
            request,
            self.settings.recency_weight,
            recipient=request_recipient(request) or "",
        )

    def composer(self, model_path: Optional[str] = None) -> Composer:
        """A Composer over the current models."""
        from ownvoice.store.adapters import get_playback

        return Composer(
            self.db,
            self.generator(model_path),
            self.embedder(),
            temperature=self.settings.temperature,
            recency_weight=self.settings.recency_weight,
            playback_lookup=lambda ids: get_playback(self.db, ids),
        )

    def apply_adapter(
        self, prof: Profile, use: bool = True, model_path: Optional[str] = None, scale: float = 1.0
    ) -> str:
        """Put the profile's active adapter on the generator at ``scale`` (or none); return its path or ''."""
        gen = self.generator(model_path)
        # each base model keeps its own active adapter: a model with none of its own drafts without one
        row = self._active_adapter_for(prof.id, gen.model_path) if use else None
        if row is None:
            if gen.adapter_name:
                gen.set_adapter(None)
            return ""
        gen.set_adapter(row.path, scale)
        return row.path

    def cache_dir(self) -> Path:
        """Where converted base models live ($OWNVOICE_CACHE, else the data home's cache folder)."""
        from .paths import CACHE_DIRNAME, subdir

        return (
            Path(os.environ["OWNVOICE_CACHE"])
            if os.environ.get("OWNVOICE_CACHE")
            else subdir(self.home, CACHE_DIRNAME)
        )

    def train(
        self,
        profile: Optional[str] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
        options=None,
        model_path: Optional[str] = None,
        **kw,
    ):
        """Train a new adapter version for a profile with ``options`` (a TrainingOptions; keywords build
        one), for ``model_path`` (default: the model drafting uses)."""
        from .paths import ADAPTERS_DIRNAME, subdir
        from .training import TrainingOptions, train_profile

        options = options if options is not None else TrainingOptions(**kw)  # OptionsError: a clear message

        prof = self.profile(profile)
        self._embed_what_fits(prof)
        gen = self.generator(str(Path(model_path).expanduser().resolve()) if model_path else None)
        cache = self.cache_dir()
        style_name = self.composer().style_name(prof)
        try:
            return train_profile(
                self.db,
                prof,
                gen,
                self.embedder(),
                subdir(self.home, ADAPTERS_DIRNAME),
                cache,
                model_sha256(gen.model_path),
                options,
                progress=progress,
                cancel=cancel,
                name=style_name,
            )
        except (sqlite3.OperationalError, OSError) as exc:
            if not is_disk_failure(exc):  # another I/O error (a missing file...) keeps its own message
                raise
            raise storage_error(exc, "training stopped, the active adapter is unchanged", self.home) from exc
        finally:  # a new version, or a checkpoint to resume from
            self._changed(Changes(adapters=True))

    def retrain_decision(self, profile: Optional[str] = None, rule=None, automatic: bool = True):
        """Whether the retrain rule says to train now (RetrainDecision); ``automatic``: a first adapter is
        always the user's choice, so only a profile that has one for this model is retrained by itself."""
        from ownvoice.store import adapters as adapters_table

        from .retrain import RetrainDecision, RetrainRule, retrain_due

        prof = self.profile(profile)
        sha = model_sha256(self.model_path)
        if automatic and not any(
            a.base_sha256 == sha for a in adapters_table.list_adapters(self.db, prof.id)
        ):
            return RetrainDecision(
                False, "no adapter for this model yet: the first training is yours to start", 0
            )
        return retrain_due(self.db, prof.id, sha, rule or RetrainRule())

    def retrain(
        self,
        profile: Optional[str] = None,
        rule=None,
        force: bool = False,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
        background: bool = True,
    ):
        """Retrain when it pays (``retrain.retrain_if_it_pays``): a new adapter, kept in use only if it drafts
        the held-out mail better than the one in use (worker thread or CLI)."""
        from .retrain import RetrainRule, retrain_if_it_pays

        try:
            return retrain_if_it_pays(
                self, profile, rule or RetrainRule(), force, progress, cancel, background=background
            )
        finally:
            self._changed(Changes(adapters=True))

    def estimate_training(
        self,
        profile: Optional[str] = None,
        options=None,
        model_path: Optional[str] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ):
        """Time and peak memory a training run with ``options`` would take here, from a probe of a few real
        steps on the profile's own examples (nothing is kept); a TrainingEstimate."""
        from dataclasses import replace

        from .training import TrainingOptions, estimate_from_probe

        options = replace(
            options or TrainingOptions(), probe_steps=3
        )  # a probe never resumes (train_profile)
        outcome = self.train(profile, progress, cancel, options=options, model_path=model_path)
        passes = 2 + bool(self._active_adapter_for(self.profile(profile).id, model_path or self.model_path))
        return estimate_from_probe(outcome.metrics, eval_passes=passes)

    def draft(
        self,
        request: DraftRequest,
        profile: Optional[str] = None,
        model_path: Optional[str] = None,
        on_update=None,
        cancel: Optional[CancelToken] = None,
    ) -> DraftResult:
        """Draft in the profile's voice (InputError for a request out of bounds)."""
        problems = request.problems()
        if problems:
            raise InputError("; ".join(problems))
        prof = self.profile(profile)
        request = request.at_strength()
        if request.use_rag:
            if not docs_table.list_documents(self.db, prof.id, limit=1):
                raise EmptyCorpusError(
                    f"profile {prof.name!r} has no writing of yours yet: import some mail first "
                    "(ownvoice import PATH), or draft with --no-rag"
                )
            self._embed_what_fits(prof)
        self.apply_adapter(prof, request.use_adapter, model_path, request.strength)
        return self.composer(model_path).draft(prof, request, on_update=on_update, cancel=cancel)

    def warm_drafting(self, profile: Optional[str] = None, kind: str = "email") -> int:
        """Prepare the model for this profile's next draft: the prompt head's state computed and kept (worker
        thread; the quick-compose popup calls it when it opens). Returns the head's length in characters."""
        prof = self.profile(profile)
        if not docs_table.list_documents(self.db, prof.id, limit=1):
            return 0
        self._embed_what_fits(prof)
        self.apply_adapter(prof, True, None)
        return self.composer(None).warm(prof, kind)

    def accept_draft(
        self,
        generation_id: int,
        final_text: str,
        profile: Optional[str] = None,
        *,
        document_id: Optional[int] = None,
        subject: str = "",
        recipients: str = "",
        how: str = "accepted",
    ) -> int:
        """The user approved a draft (accepted, or sent/copied/exported): it becomes their writing."""
        from .provenance import accept_generation

        prof = self.profile(profile, create=False)
        kept = accept_generation(
            self.db,
            prof.id,
            generation_id,
            final_text,
            document_id=document_id,
            subject=subject,
            recipients=recipients,
            how=how,
        )
        self._changed(Changes(documents=True))
        return kept

    def accept_generation(
        self, generation_id: int, final_text: Optional[str] = None, subject: str = ""
    ) -> int:
        """Keep a logged draft (``final_text`` None: as generated) as the user's writing; return the
        document id."""
        from ownvoice.store.profiles import get_profile_by_id

        row = gen_table.get_generation(self.db, generation_id)
        if row is None:
            raise InputError(f"no draft #{generation_id}")
        prof = get_profile_by_id(self.db, row["profile_id"])
        assert prof is not None
        return self.accept_draft(
            generation_id,
            row["output"] if final_text is None else final_text,
            prof.name,
            document_id=row["document_id"],
            subject=subject,
        )

    def style(self, profile: Optional[str] = None):
        """The profile's style statistics (greetings, sign-offs, typical length), from the user's own
        writing."""
        from .compose import profile_style

        return profile_style(self.db, self.profile(profile))

    def style_card(self, profile: Optional[str] = None) -> StyleCard:
        """The profile's style card: computed from the user's writing, with their edits laid over it."""
        from .compose import profile_card

        return profile_card(self.db, self.profile(profile))

    def edit_style(self, edits: dict, profile: Optional[str] = None, reset: Sequence[str] = ()) -> StyleCard:
        """Store the user's card edits as a new version (``reset``: fields back to the computed value);
        CardError for an edit that cannot be used. Drafting uses the new card at once."""
        from ownvoice.store import style_cards as card_table

        from .style_card import merge_edits

        prof = self.profile(profile)
        previous = card_table.current_edits(self.db, prof.id).edits
        merged = merge_edits(previous, edits, reset)
        if merged != previous:
            card_table.save_edits(self.db, prof.id, merged)
            self._changed(Changes(style=True))
        return self.style_card(prof.name)

    def style_history(self, profile: Optional[str] = None) -> list:
        """Every version of the profile's card edits (CardVersion), newest first."""
        from ownvoice.store import style_cards as card_table

        return card_table.history(self.db, self.profile(profile).id)

    def revert_style(self, version: int, profile: Optional[str] = None) -> StyleCard:
        """Make the edits of an earlier ``version`` (0: none, the computed card) current again, as a new
        version."""
        from ownvoice.store import style_cards as card_table

        prof = self.profile(profile)
        if version == 0:
            edits: dict = {}
        else:
            old = card_table.card_version(self.db, prof.id, version)
            if old is None:
                raise InputError(f"the style card has no version {version} (see 'ownvoice style history')")
            edits = old.edits
        if edits != card_table.current_edits(self.db, prof.id).edits:
            card_table.save_edits(self.db, prof.id, edits)
            self._changed(Changes(style=True))
        return self.style_card(prof.name)

    def unfinished_training(self, profile_id: int):
        """The profile's resumable training run (UnfinishedRun: version, step) or None."""
        from .paths import ADAPTERS_DIRNAME, subdir
        from .training import unfinished_run

        return unfinished_run(subdir(self.home, ADAPTERS_DIRNAME), profile_id)

    def delete_adapter(self, adapter_id: int) -> None:
        """Delete an adapter version: files, row, and its handle on the loaded model."""
        from .training import delete_adapter

        path = delete_adapter(self.db, adapter_id)
        if path and self._generator is not None:
            self._generator.unload_adapter(path)
        self._changed(Changes(adapters=True))

    def export_adapter(self, adapter_id: int, fmt: str, out_dir: Path) -> list[Path]:
        """Write an adapter version for another engine: 'gguf' (llama.cpp) or 'peft' (vLLM, LoRAX)."""
        from ownvoice.adapters.base_model import file_sha256
        from ownvoice.adapters.layout import BASE_CACHE_PREFIX
        from ownvoice.adapters.package import PackageError, export_adapter
        from ownvoice.store.adapters import get_adapter

        row = get_adapter(self.db, adapter_id)
        if row is None:
            raise InputError(f"no adapter {adapter_id} (see 'ownvoice adapters list')")
        cache = self.cache_dir()
        sha = row.base_sha256 or file_sha256(Path(row.base_gguf))
        try:
            return export_adapter(
                Path(row.path).parent, fmt, Path(out_dir), cache / f"{BASE_CACHE_PREFIX}{sha[:16]}"
            )
        except PackageError as exc:
            raise InputError(str(exc)) from exc

    def push_adapter(
        self,
        adapter_id: int,
        url: str,
        api_key: str = "",
        name: str = "",
        shared_dir: Optional[Path] = None,
        server_dir: str = "",
    ):
        """Load an adapter version on a vLLM server (peft export into a folder it reads); map it for
        drafting."""
        import dataclasses
        import re
        from pathlib import PurePosixPath

        from ownvoice.adapters.base_model import file_sha256
        from ownvoice.adapters.layout import PEFT_DIR
        from ownvoice.store.adapters import get_adapter

        from .backends.adapter_push import load_lora_adapter, normalise_url

        url = normalise_url(url)
        row = get_adapter(self.db, adapter_id)
        if row is None:
            raise InputError(f"no adapter {adapter_id} (see 'ownvoice adapters list')")
        weights = Path(row.path).parent / PEFT_DIR / "adapter_model.safetensors"
        if not weights.is_file():
            raise InputError(f"adapter {adapter_id} has no peft weights to push ({weights} is missing)")
        sha = file_sha256(weights)
        profile = next((p.name for p in list_profiles(self.db) if p.id == row.profile_id), "profile")
        slug = re.sub(r"[^a-z0-9]+", "-", profile.lower()).strip("-") or "profile"
        name = name or f"ownvoice-{slug}-v{row.version}-{sha[:8]}"
        folder = Path(shared_dir or self.cache_dir() / "pushed") / name
        pushed_weights = folder / "adapter_model.safetensors"
        if pushed_weights.is_file() and file_sha256(pushed_weights) == sha:
            pass  # pushed before: the same files are there already
        elif folder.exists() and any(folder.iterdir()):
            raise InputError(f"{folder} already holds other files: give another --name or --shared-dir")
        else:
            self.export_adapter(adapter_id, "peft", folder)
        server_path = str(PurePosixPath(server_dir) / name) if server_dir else str(folder.resolve())
        result = load_lora_adapter(url, name, server_path, api_key)
        self.settings.remote_adapters = {**self.settings.remote_adapters, str(Path(row.path).resolve()): name}
        self.save_settings()
        if self.settings.generator_backend == "openai-compatible":
            with self._lock:
                self._generator = None  # the next draft maps the adapter to its new name on the server
        return dataclasses.replace(result, local_folder=str(folder))

    def learning_curve(self, profile: Optional[str] = None) -> dict:
        """How much the user edits drafts over time (``learning_curve.curve_summary``)."""
        from .learning_curve import curve_summary, feedback

        return curve_summary(feedback(gen_table.feedback_rows(self.db, self.profile(profile).id)))

    def stats(self) -> list[dict]:
        """Per-profile counts."""
        out = []
        for prof in list_profiles(self.db):
            c = docs_table.counts(self.db, prof.id)
            c["embedded"] = self.db.execute(
                "SELECT count(*) FROM embeddings e JOIN documents d ON d.id = e.document_id WHERE "
                "d.profile_id = ?",
                [prof.id],
            ).fetchone()[0]
            c["generations"] = gen_table.count_generations(self.db, prof.id)
            c["learning"] = self.learning_curve(prof.name)
            out.append(
                {"profile": prof.name, "display_name": prof.display_name, "addresses": prof.addresses, **c}
            )
        return out

    def close(self) -> None:
        """Close the store (listeners are dropped: nothing more will change)."""
        self._listeners.clear()
        self.db.close()
