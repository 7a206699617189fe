"""Voice notes of every kind lose their tags, are stored only when the whole file reads as the
kind it claims, and keep their sound. The fixtures are one-second recordings: a Chromium
MediaRecorder WebM/Opus, and files made with ffmpeg (tagged Ogg Vorbis, Ogg Opus and WebM;
plain MP3 and M4A, tagged here with mutagen)."""

from __future__ import annotations

import io
import re
import struct

import pytest
from fastapi.testclient import TestClient
from mutagen.id3 import ID3, TIT2, TXXX
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from sqlmodel import Session, select

from app.models.evidence import Media
from app.services import voice
from app.services.voice.mp3 import frame_length
from tests.board.test_media import CHROMIUM, FIXTURES, one_card, upload

SECRETS = (b"Acacia", b"Bloggs", b"51.50")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def stored(
    client: TestClient, api_headers: dict[str, str], session: Session, data: bytes, name: str
) -> bytes:
    """Upload as a participant and fetch what the café's facilitator is then served."""
    cafe, ann, bo, _, cid = one_card(client, api_headers, session)
    response = upload(ann, cafe["code"], cid, data, name, "application/octet-stream")
    assert response.status_code == 303, response.text
    item = session.exec(select(Media)).one()
    return bo.get(f"/media/{item.id}").content


def refused(
    client: TestClient, api_headers: dict[str, str], session: Session, data: bytes, name: str
) -> str:
    cafe, ann, _, _, cid = one_card(client, api_headers, session)
    response = upload(ann, cafe["code"], cid, data, name, "audio/mpeg")
    assert response.status_code == 415, response.text
    assert session.exec(select(Media)).all() == []
    return response.text


def id3v24(*, footer: bool = False) -> bytes:
    """An ID3v2.4 tag naming the street, made by mutagen; with `footer`, as appended at the
    end of a file (flag and '3DI' footer)."""
    tag = ID3()
    tag.add(TIT2(encoding=3, text="12 Acacia Avenue"))
    tag.add(TXXX(encoding=3, desc="recorded by", text="Jo Bloggs"))
    out = io.BytesIO()
    tag.save(out, v2_version=4, padding=lambda _info: 0)
    raw = out.getvalue()
    if not footer:
        return raw
    header = raw[:5] + bytes([raw[5] | 0x10]) + raw[6:10]
    return header + raw[10:] + b"3DI" + header[3:]


def mp3_frames(data: bytes) -> list[bytes]:
    frames, at = [], 0
    while at < len(data):
        length = frame_length(data[at : at + 4])
        assert length
        frames.append(data[at : at + length])
        at += length
    return frames


def test_an_mp3_loses_id3v2_at_the_front_in_the_middle_and_at_the_end(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    plain = fixture("plain.mp3")
    frames = mp3_frames(plain)
    half = len(frames) // 2
    tagged = (
        id3v24()
        + bytes(64)  # zero padding after the tag, as some writers leave
        + b"".join(frames[:half])
        + id3v24()
        + b"".join(frames[half:])
        + id3v24(footer=True)
        + b"TAG"
        + b"Acacia".ljust(125, b"\0")
    )
    assert tagged.count(b"ID3") == 3
    got = stored(client, api_headers, session, tagged, "memo.mp3")
    assert got == plain  # every frame, nothing else
    assert MP3(io.BytesIO(got)).info.length > 0.9


def test_id3_in_front_of_a_web_page_is_not_a_voice_note(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    page = b"<html><script>alert(document.cookie)</script></html>" * 20
    text = refused(client, api_headers, session, id3v24() + page, "a.mp3")
    assert "could not be read as MP3 all the way through" in text
    with pytest.raises(voice.NotAVoiceNote, match="MP3 all the way through"):
        voice.clean(data=b"ID3" + page, ext="mp3")  # not even a tag's header
    # A real recording with a page glued on after the sound is refused too.
    with pytest.raises(voice.NotAVoiceNote, match="MP3 all the way through"):
        voice.clean(data=fixture("plain.mp3") + page, ext="mp3")


@pytest.mark.parametrize(
    ("name", "reader"), [("tagged.ogg", OggVorbis), ("tagged-opus.ogg", OggOpus)]
)
def test_an_ogg_loses_its_comments(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    name: str,
    reader: type[OggVorbis] | type[OggOpus],
) -> None:
    original = fixture(name)
    tags = reader(io.BytesIO(original)).tags
    assert tags is not None and tags["LOCATION"] == ["51.5034,-0.1276 Acacia Avenue"]
    got = stored(client, api_headers, session, original, "note.ogg")
    for secret in (*SECRETS, b"LOCATION", b"ARTIST"):
        assert secret not in got
    cleaned = reader(io.BytesIO(got))
    assert cleaned.tags is not None and list(cleaned.tags) == []
    assert cleaned.info.length == pytest.approx(reader(io.BytesIO(original)).info.length)


def test_an_ogg_with_something_after_its_last_page_is_refused() -> None:
    with pytest.raises(voice.NotAVoiceNote, match="Ogg all the way through"):
        voice.clean(data=fixture("tagged.ogg") + b"<html></html>" * 10, ext="ogg")


def test_a_webm_loses_its_tags_title_and_names_and_keeps_its_sound(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    original = fixture("tagged.webm")
    assert b"\x12\x54\xc3\x67" in original and b"Acacia" in original  # Tags, Info's Title
    got = stored(client, api_headers, session, original, "note.webm")
    assert len(got) == len(original)  # overwritten with Void: no offset moved
    for secret in (*SECRETS, b"LOCATION", b"ARTIST", b"\x12\x54\xc3\x67"):
        assert secret not in got
    start = original.index(b"\x1f\x43\xb6\x75")  # the first Cluster: the sound, untouched
    assert got[start:] == original[start:]


def test_a_chromium_mediarecorder_webm_is_kept_as_recorded(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """What the browser records (a Segment and Clusters of unknown size, Opus) plays as it
    was: there is nothing in it to remove."""
    assert CHROMIUM[0x28:0x30] == b"\x01\xff\xff\xff\xff\xff\xff\xff"  # unknown size
    assert stored(client, api_headers, session, CHROMIUM, "voice-note.webm") == CHROMIUM


def test_a_webm_with_a_video_track_or_a_page_glued_on_is_refused(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    video = CHROMIUM.replace(b"\x83\x81\x02", b"\x83\x81\x01", 1)  # TrackType: video
    assert "This is a video" in refused(client, api_headers, session, video, "v.webm")
    with pytest.raises(voice.NotAVoiceNote, match="WebM all the way through"):
        voice.clean(data=CHROMIUM + b"<html><body>hello</body></html>", ext="webm")
    with pytest.raises(voice.NotAVoiceNote, match="WebM all the way through"):
        voice.clean(data=CHROMIUM[:-7], ext="webm")  # cut inside a block


def tagged_m4a(*, brand: bytes = b"M4A ", track: bytes = b"soun") -> bytes:
    """A voice memo as an iPhone names it: the street as its title (©nam) and the position
    (©xyz), written by mutagen; an XMP uuid box after the sound."""
    memo = io.BytesIO(fixture("plain.m4a"))
    tagged = MP4(memo)
    tagged["\xa9nam"] = ["12 Acacia Avenue"]
    tagged["\xa9xyz"] = ["+51.5080-000.1281/"]
    tagged.save(memo)
    data = memo.getvalue()
    data = data.replace(b"ftypM4A ", b"ftyp" + brand, 1)
    data = re.sub(rb"(hdlr.{8})soun", rb"\g<1>" + track, data, count=1, flags=re.S)
    xmp = b"\xbe\x7a\xcf\xcb\x97\xa9\x42\xe8" * 2 + b"<x:xmpmeta>home</x:xmpmeta>"
    return data + struct.pack(">I", 8 + len(xmp)) + b"uuid" + xmp


def test_an_m4a_loses_its_title_and_position(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    memo = tagged_m4a()
    assert MP4(io.BytesIO(memo)).tags is not None
    got = stored(client, api_headers, session, memo, "New Recording.m4a")
    assert len(got) == len(memo)
    for secret in (b"Acacia", b"+51.5080", b"\xa9xyz", b"\xa9nam", b"xmpmeta", b"Lavf"):
        assert secret not in got
    cleaned = MP4(io.BytesIO(got))
    assert not cleaned.tags
    assert cleaned.info.length == pytest.approx(1.0, abs=0.1)


def test_a_video_or_a_photo_in_an_mp4_wrapper_is_not_a_voice_note(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    text = refused(client, api_headers, session, tagged_m4a(track=b"vide"), "clip.mp4")
    assert "This is a video" in text
    with pytest.raises(voice.NotAVoiceNote, match="This is a photo, not a voice note"):
        voice.clean(data=tagged_m4a(brand=b"heic"), ext="m4a")
    with pytest.raises(voice.NotAVoiceNote, match="M4A all the way through"):
        voice.clean(data=fixture("plain.m4a") + b"<html>", ext="m4a")


def test_a_wav_keeps_only_its_format_and_sound() -> None:
    sound = bytes(range(256)) * 8
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    info = b"LIST" + struct.pack("<I", 24) + b"INFOINAM" + struct.pack("<I", 12) + b"Acacia Ave\0\0"
    data = b"data" + struct.pack("<I", len(sound)) + sound
    body = b"WAVE" + fmt + info + data
    wav = voice.clean(data=b"RIFF" + struct.pack("<I", len(body)) + body, ext="wav")
    assert wav == b"RIFF" + struct.pack("<I", 4 + len(fmt) + len(data)) + b"WAVE" + fmt + data
    with pytest.raises(voice.NotAVoiceNote, match="WAV all the way through"):
        voice.clean(data=b"RIFF\x10\0\0\0WAVE<html></html>", ext="wav")
