"""What files declare about their origin: real generator and camera files, C2PA signed here."""

import csv
import datetime
import io
import json
import re
import struct
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from keras_detect import cli, provenance
from keras_detect.errors import UserError

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared data not beside the project")

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
A1111 = ("a photo of a cat\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, "
         "Seed: 1, Size: 64x64, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly")


def image_bytes(fmt="PNG", size=(32, 32), **save_args) -> bytes:
  out = io.BytesIO()
  Image.effect_noise(size, 40).convert("RGB").save(out, fmt, **save_args)
  return out.getvalue()


def png_chunk(kind: bytes, body: bytes, crc=None) -> bytes:
  crc = zlib.crc32(kind + body) if crc is None else crc
  return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_with(*chunks: bytes) -> bytes:
  """A small PNG with `chunks` after its image data, before IEND."""
  png = image_bytes()
  return png[:-12] + b"".join(chunks) + png[-12:]


def xmp_packet(description: str) -> bytes:
  return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
          '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
          '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
          '<rdf:Description rdf:about=""'
          ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
          ' xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
          ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
          f' {description}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()


# --- real files ----------------------------------------------------------------------------

@needs_shared
def test_sd35_comfyui_pngs_declare_synthetic_made_with_comfyui():
  paths = sorted((SHARED / "synth_sd35_large_artists" / "images").glob("*.png"))
  assert paths
  for path in paths:
    result = provenance.read_provenance(path)
    assert (result.declared, result.tool, result.signed) == ("synthetic", "ComfyUI", False)
    assert "png.workflow" in result.evidence and not result.error


@needs_shared
def test_camera_jpegs_declare_the_make_and_model_in_the_manifest():
  folder = SHARED / "real_camera_metadata_extractor"
  with open(folder / "manifest.csv", newline="") as f:
    rows = list(csv.DictReader(f))
  for row in rows:
    result = provenance.read_provenance(folder / row["file_name"])
    assert result.declared == "camera", row["file_name"]
    assert (result.make, result.model) == (row["camera_make"].strip(), row["camera_model"].strip())
    assert result.fields.get("exif.DateTimeOriginal", "") == row["datetime_original"]


# --- files written here ----------------------------------------------------------------------

def test_automatic1111_parameters_chunk_declares_synthetic():
  info = PngImagePlugin.PngInfo()
  info.add_text("parameters", A1111)
  result = provenance.read_provenance(image_bytes(pnginfo=info))
  assert (result.declared, result.tool, result.evidence) == ("synthetic", "AUTOMATIC1111",
                                                             ("png.parameters",))
  assert result.fields["png.parameters"] == A1111


@pytest.mark.parametrize("key, value, tool", [
    ("parameters", '{"Prompt": "a cat", "Version": "Fooocus v2.5.5"}', "Fooocus"),
    ("parameters", '{"sui_image_params": {"prompt": "a cat"}}', "SwarmUI"),
    ("invokeai_metadata", '{"generation_mode": "txt2img"}', "InvokeAI"),
    ("sd-metadata", '{"model": "stable diffusion"}', "InvokeAI"),
    ("Software", "NovelAI", "NovelAI"),
    ("Description", "a cat --ar 1:1 --v 6.1 Job ID: 4a7b1f0c", "Midjourney"),
    ("Software", "Adobe Firefly", "Adobe Firefly"),
])
def test_generator_text_chunks_name_their_tool(key, value, tool):
  info = PngImagePlugin.PngInfo()
  info.add_text(key, value)
  result = provenance.read_provenance(image_bytes(pnginfo=info))
  assert (result.declared, result.tool, result.evidence) == ("synthetic", tool, (f"png.{key}",))


def test_every_generator_signature_names_a_tool_and_compiles():
  for field, pattern, tool in provenance.GENERATOR_SIGNATURES:
    assert field.split(".")[0] in ("png", "exif", "xmp", "jpeg") and tool
    if pattern is not None:
      re.compile(pattern)


def test_ordinary_software_names_no_generator():
  info = PngImagePlugin.PngInfo()
  info.add_text("Software", "Adobe Photoshop 25.0 (Windows)")
  info.add_text("Comment", "holiday, 2019")
  assert provenance.read_provenance(image_bytes(pnginfo=info)).declared == "none"


def test_text_chunk_after_the_image_data_is_read():
  chunk = png_chunk(b"tEXt", b"parameters\x00" + A1111.encode())
  result = provenance.read_provenance(png_with(chunk))
  assert result.tool == "AUTOMATIC1111"


def test_compressed_international_text_chunk_is_read():
  body = b"invokeai_metadata\x00\x01\x00en\x00\x00" + zlib.compress(b'{"model": "sdxl"}')
  result = provenance.read_provenance(png_with(png_chunk(b"iTXt", body)))
  assert (result.declared, result.tool) == ("synthetic", "InvokeAI")
  assert result.fields["png.invokeai_metadata"] == '{"model": "sdxl"}'


def test_automatic1111_user_comment_in_jpeg_exif_declares_synthetic():
  exif = Image.Exif()
  exif.get_ifd(Image.ExifTags.IFD.Exif)[Image.ExifTags.Base.UserComment] = (
      b"UNICODE\x00" + A1111.encode("utf-16-be"))
  result = provenance.read_provenance(image_bytes("JPEG", exif=exif))
  assert (result.declared, result.tool) == ("synthetic", "AUTOMATIC1111")
  assert result.fields["exif.UserComment"] == A1111


@pytest.mark.parametrize("description", [
    f'Iptc4xmpExt:DigitalSourceType="{TRAINED}" photoshop:Credit="Made with Google AI">',
    f'><Iptc4xmpExt:DigitalSourceType rdf:resource="{TRAINED}"/>'
    '<photoshop:Credit>Made with Google AI</photoshop:Credit>',
])
def test_xmp_digital_source_type_in_a_jpeg_declares_synthetic(description):
  result = provenance.read_provenance(image_bytes("JPEG", xmp=xmp_packet(description)))
  assert (result.declared, result.tool, result.signed) == ("synthetic", "Google", False)
  assert result.evidence[0] == "xmp.Iptc4xmpExt:DigitalSourceType: trainedAlgorithmicMedia"
  assert result.fields["xmp.Iptc4xmpExt:DigitalSourceType"] == TRAINED


def test_xmp_digital_capture_declares_camera():
  packet = xmp_packet('Iptc4xmpExt:DigitalSourceType="digitalCapture" '
                      'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Make="Leica">')
  result = provenance.read_provenance(image_bytes("JPEG", xmp=packet))
  assert (result.declared, result.make) == ("camera", "Leica")


def test_camera_exif_beside_a_generator_chunk_is_synthetic_and_noted():
  exif = Image.Exif()
  exif[Image.ExifTags.Base.Make] = "Canon"
  info = PngImagePlugin.PngInfo()
  info.add_text("parameters", A1111)
  result = provenance.read_provenance(image_bytes(pnginfo=info, exif=exif))
  assert result.declared == "synthetic" and result.fields["exif.Make"] == "Canon"
  assert any(note.startswith("declarations disagree") for note in result.notes)


def test_plain_image_declares_none(tmp_path):
  path = tmp_path / "plain.jpg"
  path.write_bytes(image_bytes("JPEG"))
  result = provenance.read_provenance(path)
  assert (result.declared, result.evidence, result.signed, result.error) == ("none", (), False, "")
  assert result.c2pa == {"status": "absent"}


def test_format_without_c2pa_reads_the_rest():
  exif = Image.Exif()
  exif[Image.ExifTags.Base.Make] = "Canon"
  result = provenance.read_provenance(image_bytes("TIFF", exif=exif))
  assert (result.declared, result.make) == ("camera", "Canon")
  assert provenance.read_provenance(image_bytes("BMP")).c2pa == {"status": "unsupported"}


# --- C2PA ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def credentials():
  """A test CA and an ES256 leaf it issued: c2pa refuses a self-signed end-entity certificate."""
  pytest.importorskip("c2pa")
  from cryptography import x509
  from cryptography.hazmat.primitives import hashes, serialization
  from cryptography.hazmat.primitives.asymmetric import ec
  from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

  def name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "keras-detect tests")])

  def usage(**allowed):
    flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment",
                           "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                           "encipher_only", "decipher_only"), False)
    return x509.KeyUsage(**{**flags, **allowed})

  def certificate(subject, issuer, key, issuer_key, is_ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(is_ca, 0 if is_ca else None), True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
    if is_ca:
      builder = builder.add_extension(usage(key_cert_sign=True, crl_sign=True), True)
    else:
      builder = (builder.add_extension(usage(digital_signature=True), True)
                 .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                                False)
                 .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                     issuer_key.public_key()), False))
    return builder.sign(issuer_key, hashes.SHA256())

  ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
  ca = certificate(name("Test Root CA"), name("Test Root CA"), ca_key, ca_key, True)
  leaf = certificate(name("Test Generator Signer"), ca.subject, key, ca_key, False)
  pem = lambda cert: cert.public_bytes(serialization.Encoding.PEM)
  private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
  return {"chain": pem(leaf) + pem(ca), "key": private, "root": pem(ca).decode()}


def c2pa_signed(credentials, source_type=TRAINED) -> bytes:
  import c2pa
  manifest = {
      "claim_generator_info": [{"name": "test-generator", "version": "1.0"}],
      "title": "generated.jpg",
      "assertions": [{"label": "c2pa.actions", "data": {"actions": [
          {"action": "c2pa.created", "digitalSourceType": source_type,
           "softwareAgent": {"name": "Test Diffusion 2"}}]}}],
  }
  info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, credentials["chain"], credentials["key"],
                             None)
  out = io.BytesIO()
  with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
    builder.sign(signer, "image/jpeg", io.BytesIO(image_bytes("JPEG", size=(96, 96))), out)
  return out.getvalue()


@pytest.fixture(scope="module")
def signed_jpeg(credentials):
  return c2pa_signed(credentials)


def test_c2pa_signed_image_is_a_signed_synthetic_declaration(signed_jpeg):
  result = provenance.read_provenance(signed_jpeg)
  assert (result.declared, result.tool, result.signed) == ("synthetic", "Test Diffusion 2", True)
  assert result.evidence == ("c2pa.actions (signature valid)",)
  c2pa = result.c2pa
  assert (c2pa["status"], c2pa["validation_state"], c2pa["trusted"]) == ("present", "Valid", False)
  assert (c2pa["issuer"], c2pa["common_name"]) == ("keras-detect tests", "Test Generator Signer")
  assert c2pa["claim_generator"] == "test-generator 1.0" and c2pa["errors"] == []
  assert c2pa["actions"][0] == {"action": "c2pa.created", "digitalSourceType": TRAINED,
                                "softwareAgent": "Test Diffusion 2"}


def test_c2pa_signature_is_trusted_only_under_its_root(signed_jpeg, credentials):
  result = provenance.read_provenance(signed_jpeg, trust_anchors=credentials["root"])
  assert (result.c2pa["validation_state"], result.c2pa["trusted"], result.signed) == (
      "Trusted", True, True)


def test_command_reads_trust_anchors_from_a_pem_file(signed_jpeg, credentials, tmp_path, capsys):
  (tmp_path / "signed.jpg").write_bytes(signed_jpeg)
  (tmp_path / "root.pem").write_text(credentials["root"])
  argv = ["provenance", str(tmp_path / "signed.jpg"), "--trust-anchors", str(tmp_path / "root.pem")]
  assert cli.main(argv) == 0
  assert capsys.readouterr().out.splitlines()[1].split()[:3] == ["synthetic", "trusted", "trusted"]


def test_c2pa_digital_capture_is_a_signed_camera_declaration(credentials):
  result = provenance.read_provenance(c2pa_signed(
      credentials, "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"))
  assert (result.declared, result.signed) == ("camera", True)


def flip_byte(data: bytes, position: int) -> bytes:
  changed = bytearray(data)
  changed[position] ^= 0x01
  return bytes(changed)


def test_one_changed_image_byte_fails_validation_and_is_not_signed(signed_jpeg):
  result = provenance.read_provenance(flip_byte(signed_jpeg, len(signed_jpeg) - 20))
  assert result.signed is False and result.c2pa["signed"] is False
  assert result.c2pa["validation_state"] == "Invalid"
  assert "assertion.dataHash.mismatch" in result.c2pa["errors"]
  assert result.evidence == ("c2pa.actions (signature not valid)",)


def test_one_changed_manifest_byte_fails_validation_and_is_not_signed(signed_jpeg):
  result = provenance.read_provenance(flip_byte(signed_jpeg, signed_jpeg.find(b"test-generator")))
  assert result.signed is False and result.c2pa["signed"] is False
  assert result.c2pa["status"] in ("present", "invalid") and result.c2pa["errors"]


@pytest.fixture
def no_c2pa_binding(monkeypatch):
  monkeypatch.setitem(sys.modules, "c2pa", None)  # import c2pa now raises ImportError
  provenance._c2pa_binding.cache_clear()
  yield
  provenance._c2pa_binding.cache_clear()


def test_missing_c2pa_binding_is_reported_and_the_rest_still_read(no_c2pa_binding):
  info = PngImagePlugin.PngInfo()
  info.add_text("parameters", A1111)
  result = provenance.read_provenance(image_bytes(pnginfo=info))
  assert result.c2pa["status"] == "unavailable" and "c2pa" in result.c2pa["reason"]
  assert (result.declared, result.tool) == ("synthetic", "AUTOMATIC1111")


# --- hostile and broken files --------------------------------------------------------------

def test_oversized_text_chunk_is_cut_and_reported():
  value = b"Steps: 20, " + b"x" * (2 * provenance.MAX_VALUE_BYTES)
  result = provenance.read_provenance(png_with(png_chunk(b"tEXt", b"parameters\x00" + value)))
  assert len(result.fields["png.parameters"]) == provenance.MAX_VALUE_BYTES
  assert result.truncated == ("png.parameters",) and result.tool == "AUTOMATIC1111"


def test_compressed_chunk_is_inflated_only_up_to_the_cap():
  bomb = zlib.compress(b"a" * (64 * 2**20), 9)  # 64 MiB from about 64 KB
  result = provenance.read_provenance(png_with(png_chunk(b"zTXt", b"Comment\x00\x00" + bomb)))
  assert len(result.fields["png.Comment"]) == provenance.MAX_VALUE_BYTES
  assert "png.Comment" in result.truncated


def test_text_chunks_past_the_cap_are_not_read():
  count = provenance.MAX_TEXT_CHUNKS + 10
  chunks = [png_chunk(b"tEXt", b"key%d\x00value" % i) for i in range(count)]
  result = provenance.read_provenance(png_with(*chunks))
  assert len(result.fields) == provenance.MAX_TEXT_CHUNKS
  assert any("text chunks" in note for note in result.notes)


@pytest.mark.parametrize("chunk, note", [
    (png_chunk(b"tEXt", b"parameters\x00Steps: 20", crc=0), "fails its CRC"),
    (png_chunk(b"tEXt", b"no separator here"), "malformed tEXt"),
    (png_chunk(b"tEXt", b"k" * 80 + b"\x00keyword too long"), "malformed tEXt"),
    (png_chunk(b"zTXt", b"Comment\x00\x00not zlib data"), "does not inflate"),
    (png_chunk(b"iTXt", b"Comment\x00\x00\x00"), "malformed iTXt"),
])
def test_malformed_chunks_are_reported_not_raised(chunk, note):
  result = provenance.read_provenance(png_with(chunk))
  assert not result.error and result.declared == "none"
  assert any(note in line for line in result.notes), result.notes


def test_chunk_running_past_the_end_is_reported():
  png = image_bytes()
  result = provenance.read_provenance(png[:-12] + struct.pack(">I", 10**6) + b"tEXtparameters\x00")
  assert not result.error and any("runs past the end" in note for note in result.notes)


def test_xmp_declaring_a_dtd_is_not_parsed():
  packet = (b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]>'
            + xmp_packet(f'Iptc4xmpExt:DigitalSourceType="{TRAINED}">'))
  result = provenance.read_provenance(image_bytes("JPEG", xmp=packet))
  assert result.declared == "none" and "xmp: the packet declares a DTD; not parsed" in result.notes


def test_malformed_xmp_is_reported():
  result = provenance.read_provenance(image_bytes("JPEG", xmp=b"<x:xmpmeta><unclosed>"))
  assert any(note.startswith("xmp: malformed packet") for note in result.notes)


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b"this is not an image", "not an image format"),
    (image_bytes()[:20], "not a readable image"),
])
def test_unreadable_files_come_back_with_the_reason(tmp_path, content, reason):
  path = tmp_path / "broken.png"
  path.write_bytes(content)
  result = provenance.read_provenance(path)
  assert result.error.startswith(reason) and result.declared == "none" and not result.signed


def test_missing_file_comes_back_with_the_reason(tmp_path):
  assert "No such file" in provenance.read_provenance(tmp_path / "absent.jpg").error


# --- disagreement and the command ------------------------------------------------------------

def test_disagreement_names_camera_metadata_on_an_image_called_synthetic():
  camera = provenance.Provenance(path="x.jpg", declared="camera", make="NIKON", model="E900")
  assert "NIKON E900" in provenance.disagreement(camera, "synthetic")
  assert "unsigned" in provenance.disagreement(camera, "synthetic")
  assert provenance.disagreement(camera, "real") == ""


def test_disagreement_names_the_generator_of_an_image_called_real():
  made = provenance.Provenance(path="x.png", declared="synthetic", tool="ComfyUI", signed=True)
  assert "ComfyUI" in provenance.disagreement(made, "real")
  assert "valid C2PA signature" in provenance.disagreement(made, "real")
  assert provenance.disagreement(made, "synthetic") == ""
  assert provenance.disagreement(provenance.Provenance(path="x"), "real") == ""


def test_disagreement_refuses_an_unknown_label():
  with pytest.raises(UserError, match="pixel label"):
    provenance.disagreement(provenance.Provenance(path="x"), "fake")


def test_command_writes_json_lines_for_a_folder_read_recursively(tmp_path, capsys):
  info = PngImagePlugin.PngInfo()
  info.add_text("parameters", A1111)
  (tmp_path / "deep" / "er").mkdir(parents=True)
  (tmp_path / "deep" / "er" / "made.png").write_bytes(image_bytes(pnginfo=info))
  (tmp_path / "plain.jpg").write_bytes(image_bytes("JPEG"))
  (tmp_path / "notes.txt").write_text("not an image; skipped in folders")
  assert cli.main(["provenance", str(tmp_path), "--json"]) == 0
  lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
  assert [(Path(line["path"]).name, line["declared"]) for line in lines] == [
      ("made.png", "synthetic"), ("plain.jpg", "none")]


def test_command_prints_a_table(tmp_path, capsys):
  (tmp_path / "plain.jpg").write_bytes(image_bytes("JPEG"))
  assert cli.main(["provenance", str(tmp_path / "plain.jpg")]) == 0
  header, row = capsys.readouterr().out.splitlines()
  assert header.split()[:3] == ["declared", "signed", "c2pa"] and row.split()[:3] == [
      "none", "no", "absent"]


@pytest.mark.parametrize("argv, message", [
    (["no/such/file.jpg"], "no such file or folder"),
    (["{tmp}"], "no image files under"),
    (["{tmp}", "--trust-anchors", "{tmp}/missing.pem"], "cannot read --trust-anchors"),
])
def test_command_user_mistakes_are_one_line_with_status_2(tmp_path, capsys, argv, message):
  argv = [arg.format(tmp=tmp_path) for arg in argv]
  assert cli.main(["provenance", *argv]) == 2
  assert message in capsys.readouterr().err
