"""What one request may carry: bytes per request, bytes per file, pixels per image."""

import json
from dataclasses import asdict, dataclass

from tfds_builders import image_io

MIB = 2 ** 20


@dataclass(frozen=True)
class Limits:
  max_file_bytes: int = 32 * MIB
  max_request_bytes: int = 256 * MIB
  max_pixels: int = image_io.MAX_PIXELS  # as the predict command: the same files are refused
  batch_size: int = 16

  def to_dict(self) -> dict:
    return asdict(self)


class RequestTooLarge(Exception):
  pass


class BodyLimit:
  """ASGI middleware answering 413 to a request body over `max_bytes`.

  A declared Content-Length is refused before anything is read; a chunked body is counted
  as it arrives and refused once it passes the limit, whatever the app made of the cut."""

  def __init__(self, app, max_bytes: int):
    self.app = app
    self.max_bytes = max_bytes

  async def __call__(self, scope, receive, send):
    if scope["type"] != "http":
      return await self.app(scope, receive, send)
    if _declared_length(scope) > self.max_bytes:
      return await self._refuse(send)
    received = 0
    exceeded = False

    async def counted_receive():
      nonlocal received, exceeded
      message = await receive()
      received += len(message.get("body", b""))
      if received > self.max_bytes:
        exceeded = True
        raise RequestTooLarge()
      return message

    async def guarded_send(message):
      if not exceeded:  # the app's answer to a cut body (usually a 400) is replaced
        await send(message)

    try:
      await self.app(scope, counted_receive, guarded_send)
    except RequestTooLarge:
      pass
    if exceeded:
      await self._refuse(send)

  async def _refuse(self, send):
    body = json.dumps({"detail": f"request too large: over {self.max_bytes:,} bytes, the "
                                 "limit; send fewer or smaller files at once"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope) -> int:
  for name, value in scope.get("headers", []):
    if name == b"content-length":
      try:
        return int(value)
      except ValueError:
        return 0
  return 0
