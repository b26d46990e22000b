"""``answering.conversation``: the assistant's last reply is the one to the patient's newest message."""

from __future__ import annotations

from answering.conversation import last_reply


def test_last_reply_is_the_answer_to_the_newest_earlier_message():
    history = [{"role": "user", "content": "ice?"}, {"role": "assistant", "content": "Ice first."},
               {"role": "user", "content": "and heat?"}, {"role": "assistant", "content": "Heat later."}]
    assert last_reply(history) == "Heat later."


def test_no_reply_to_the_newest_message_is_no_reply():
    history = [{"role": "user", "content": "ice?"}, {"role": "assistant", "content": "Ice first."}, {"role": "user", "content": "and heat?"}]
    assert last_reply(history) == "" and last_reply([]) == ""
