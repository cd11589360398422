"""Thumbs up / down on answers, as JSON lines: one object per rated answer.

Each line carries the rating (`value` 1 = up, 0 = down, and `rating` in words), the comment,
who rated, the thread (id and title), the answer's text and the question it answered (the
latest user message before it), so the file can be read without the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from stylist.accounts.schema import feedbacks, steps, threads
from stylist.atomic import atomic_write_text


async def feedback_records(engine: AsyncEngine) -> list[dict]:
    thread_of_step = func.coalesce(feedbacks.c.threadId, steps.c.threadId)
    query = (
        select(
            feedbacks.c.id,
            feedbacks.c.value,
            feedbacks.c.comment,
            feedbacks.c.forId,
            thread_of_step.label("thread_id"),
            steps.c.output,
            steps.c.createdAt,
            threads.c.name,
            threads.c.userIdentifier,
        )
        .select_from(feedbacks)
        .join(steps, steps.c.id == feedbacks.c.forId, isouter=True)
        .join(threads, threads.c.id == thread_of_step, isouter=True)
        .order_by(steps.c.createdAt, feedbacks.c.id)
    )
    async with engine.connect() as conn:
        rows = list(await conn.execute(query))
        thread_ids = sorted({row.thread_id for row in rows if row.thread_id})
        questions = (
            list(
                await conn.execute(
                    select(steps.c.threadId, steps.c.createdAt, steps.c.output)
                    .where(steps.c.threadId.in_(thread_ids), steps.c.type == "user_message")
                    .order_by(steps.c.createdAt)
                )
            )
            if thread_ids
            else []
        )
    records = []
    for row in rows:
        asked = [
            q.output
            for q in questions
            if q.threadId == row.thread_id and (q.createdAt or "") <= (row.createdAt or "")
        ]
        records.append(
            {
                "feedback_id": row.id,
                "value": int(row.value),
                "rating": "up" if int(row.value) == 1 else "down",
                "comment": row.comment or "",
                "user": row.userIdentifier,
                "thread_id": row.thread_id,
                "thread_name": row.name,
                "message_id": row.forId,
                "question": asked[-1] if asked else None,
                "answer": row.output,
                "answered_at": row.createdAt,
            }
        )
    return records


def as_jsonl(records: list[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def write_jsonl(records: list[dict], path: Path) -> Path:
    return atomic_write_text(Path(path), "".join(as_jsonl(records)))
