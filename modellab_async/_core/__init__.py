"""The HTTP core every API client shares: one base client, retries, the rate-limit gate, jobs.

A client is `BaseClient` (`_client.py`) plus an API's `Dialect` (where its
requests go, how they are authenticated, how its errors read) over a
`Transport` (`modellab_async._transport`). The decisions are plain values and
functions without I/O: requests and responses (`_protocol.py`), the retry
policy (`_retry.py`), the gate (`_throttle.py`), resumable content
(`_content.py`), argument checks (`_params.py`, `_config.py`) and the events
hooks hear (`_hooks.py`). Nothing here knows an API.
"""
