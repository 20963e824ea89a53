"""Closing the app while a worker's news is still on its way: the screens never read the closed store."""

from __future__ import annotations

import threading

from ownvoice.assistant.changes import Changes


def test_news_queued_before_quit_is_dropped_not_read_from_the_closed_store(fake_app, qtbot):
    from ownvoice.ui.status_area import StatusArea
    from ownvoice.ui.workers import Runner

    runner = Runner(fake_app)
    status = StatusArea(fake_app, runner, fake_app.create_profile("me").id)
    qtbot.addWidget(status)
    seen: list[Changes] = []
    runner.events.changed.connect(seen.append)

    def write_on_a_worker_thread() -> None:
        runner._core_changed(Changes(adapters=True))

    t = threading.Thread(target=write_on_a_worker_thread)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=3000)  # delivered on the Qt thread while open

    t = threading.Thread(target=write_on_a_worker_thread)
    t.start()
    t.join()  # queued for the Qt thread, then the app quits before it is delivered
    runner.close()
    fake_app.close()
    qtbot.wait(100)  # an exception raised in the event loop here fails the test (pytest-qt)
    assert len(seen) == 1
    assert status.text().startswith("Model: ")
