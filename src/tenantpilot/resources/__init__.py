"""Provider-neutral resource identity: who a provider resource *is*, independent of its name.

The pure layer of issue 5 (seeds 380/381). Nothing here imports Django or talks to a
provider, so hypothesis can exercise it quickly:

- :mod:`.choices` — binding status, resolution mode, subject class and support level.
- :mod:`.identity` — :class:`~.identity.ResourceIdentity`, never keyed on a display name.
- :mod:`.keys` — :class:`~.keys.CanonicalSubjectKey`, the deterministic, parseable key.
- :mod:`.descriptors` — :class:`~.descriptors.ProviderResourceDescriptor` and its stable JSON form.
- :mod:`.fingerprint` — a stable sha256 over a normalized provider payload.
- :mod:`.adapters` — the provider adapter contract and registry; provider knowledge lives
  only in the adapter modules below it.

Import from the submodules; this package deliberately re-exports nothing so that importing
one primitive never drags in the adapters.
"""
