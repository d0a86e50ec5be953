"""The engine: walks listings and fetches in bulk for any API, knowing none of them.

A listing is one immutable value (`Listing`): its first request, the decoder
of its pages, how its pages are found (a `Pages` scheme) and how it is walked
(`WalkOptions`). A `Paginator` iterates it any number of times, each
iteration a `Walk` of its own, against the narrow `ListingClient` interface
of a client: send one request, start one background job. Nothing here imports
an API's models, resources or dialect.
"""
