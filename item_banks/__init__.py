"""The bundled item banks (``<bank>.yaml``) and instruments (``<name>.instrument.yaml``).

Data only: load them with :func:`instruments.load_bank` and
:meth:`instruments.Instrument.load`.
"""
