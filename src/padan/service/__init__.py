"""The coordinator's HTTP service (``padan serve``) and the owners' client (send, fetch).

Server side: ``app`` (FastAPI factory), ``db``/``models`` (SQLAlchemy, Alembic migrations),
``auth`` (RFC 9421 signatures, shared with the client), ``rounds``, ``uploads``, ``runs``
(the link worker), ``retention``, ``pages`` (status page), ``server`` (uvicorn). Client
side: ``client``. Nothing here reads raw records: the service handles packages and
sealed results only, exactly as ``padan link`` does.
"""
