import { expect } from 'chai';
import { sniffAudio } from '../../src/adapters/audio';
import { declaredAudioRefusal, formatDuration, isAudioDocument, MAX_AUDIO_BYTES, paidMinutes } from '../../src/domain/transcripts/intake';

describe('transcripts intake', () => {
  it('charges per started minute, a short recording as one', () => {
    expect([0, 0.4, 1, 59, 60, 60.5, 61, 119, 120, 599, 600].map(paidMinutes)).to.deep.equal([1, 1, 1, 1, 1, 2, 2, 2, 2, 10, 10]);
  });

  it('refuses by what Telegram declared: too large, too long, empty — before anything is held', () => {
    expect(declaredAudioRefusal({ fileSize: MAX_AUDIO_BYTES + 1, duration: 5 }, 600)).to.equal('transcript.too_large');
    expect(declaredAudioRefusal({ fileSize: 1000, duration: 601 }, 600)).to.equal('transcript.too_long');
    expect(declaredAudioRefusal({ fileSize: 0, duration: 0 }, 600)).to.equal('transcript.empty');
    expect(declaredAudioRefusal({ fileSize: 1000, duration: 600 }, 600)).to.equal(undefined);
    // A file declares no length: decided after decoding.
    expect(declaredAudioRefusal({ fileSize: 1000 }, 600)).to.equal(undefined);
  });

  it('takes a file as audio by its type or its name; other files go to avatars', () => {
    expect(isAudioDocument('audio/ogg', 'memo')).to.equal(true);
    expect(isAudioDocument('application/octet-stream', 'Voice 003.M4A')).to.equal(true);
    expect(isAudioDocument('image/jpeg', 'photo.jpg')).to.equal(false);
    expect(isAudioDocument(undefined, 'notes.txt')).to.equal(false);
  });

  it('knows audio containers by their first bytes, and nothing else', () => {
    const b = (s: string) => Buffer.from(s, 'latin1');
    expect(sniffAudio(b('OggS\0\x02'))).to.equal('ogg');
    expect(sniffAudio(b('ID3\x04'))).to.equal('mp3');
    expect(sniffAudio(Buffer.from([0xff, 0xfb, 0x90, 0x00]))).to.equal('mpeg');
    expect(sniffAudio(b('RIFF\0\0\0\0WAVEfmt '))).to.equal('wav');
    expect(sniffAudio(b('\0\0\0\x20ftypM4A '))).to.equal('mp4');
    expect(sniffAudio(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x01]))).to.equal('webm');
    expect(sniffAudio(b('fLaC'))).to.equal('flac');
    expect(sniffAudio(b('%PDF-1.4'))).to.equal(undefined);
    expect(sniffAudio(b('RIFF\0\0\0\0AVI '))).to.equal(undefined);
    expect(sniffAudio(Buffer.alloc(0))).to.equal(undefined);
  });

  it('shows lengths the way Telegram clients do', () => {
    expect([0, 2.79, 59.6, 65, 600].map(formatDuration)).to.deep.equal(['0:00', '0:03', '1:00', '1:05', '10:00']);
  });
});
