"""The answer pipeline: ``answer(message, history) -> Answer``, shared by the chat, the widget, the API and the evaluation.

``pipeline`` runs the safety verdict and then the policy steps of ``policies``
in order until one replies; ``turn`` is what the steps know about the message;
``finder`` searches the index and composes (``compose``, ``comparison``);
``scope``, ``question`` and ``followup`` read the message; ``service`` keeps a
long-running assistant on the newest good index.
"""
