import Testing
import GenreSupport

/// SHA-256 pinned by the NIST FIPS 180-4 examples and by digests from coreutils `sha256sum`.
@Suite struct SHA256Tests {
    @Test func emptyString() {
        #expect(SHA256.hex(of: Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abc() {
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func twoBlockMessage448Bits() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(message.utf8.count == 56)
        #expect(SHA256.hex(of: Array(message.utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func digestIs32Bytes() {
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        let digest = hasher.finalize()
        #expect(digest.count == 32)
        #expect(Array(digest.prefix(4)) == [0xba, 0x78, 0x16, 0xbf])
        #expect(SHA256.hexString([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
    }

    /// Lengths around the padding boundary (55/56 bytes) and the block boundary (63/64/65), from `sha256sum`.
    @Test(arguments: [
        (55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"),
        (56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"),
        (63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"),
        (64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"),
        (65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"),
        (119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"),
        (120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"),
        (128, "24da1b81d0b16df6428eee73c69fcb2a93c76bc6df706f0c6670fe6bfe800464"),
    ])
    func paddingBoundaries(length: Int, expected: String) {
        let message = [UInt8](repeating: UInt8(ascii: "x"), count: length)
        #expect(SHA256.hex(of: message) == expected)
        // Same input through the buffer path, in one go.
        var hasher = SHA256()
        message.withUnsafeBytes { hasher.update(buffer: $0) }
        #expect(SHA256.hexString(hasher.finalize()) == expected)
    }

    /// One million 'a', fed through `update(buffer:)` in odd-sized chunks so that the pending-bytes path,
    /// the whole-block path and the tail path all run, in every alignment.
    @Test func millionAInOddChunks() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let chunkSizes = [1, 3, 63, 64, 65, 7, 127, 200, 13, 0, 1000]
        var hasher = SHA256()
        var offset = 0
        var round = 0
        message.withUnsafeBytes { raw in
            while offset < raw.count {
                let size = min(chunkSizes[round % chunkSizes.count], raw.count - offset)
                hasher.update(buffer: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + size]))
                offset += size
                round += 1
            }
        }
        #expect(offset == 1_000_000)
        #expect(SHA256.hexString(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Byte-by-byte `update(_:)` and chunked `update(buffer:)` agree on awkward data of every length to 200.
    @Test func byteUpdateEqualsBufferUpdate() {
        let data = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for length in 0...200 {
            let message = Array(data.prefix(length))
            var byByte = SHA256()
            for byte in message { byByte.update([byte]) }
            var byBuffer = SHA256()
            message.withUnsafeBytes { raw in
                // Split at 1/3 and 2/3 so that a partial block is pending when a later buffer arrives.
                let cuts = [0, length / 3, 2 * length / 3, length]
                for i in 0..<3 { byBuffer.update(buffer: UnsafeRawBufferPointer(rebasing: raw[cuts[i]..<cuts[i + 1]])) }
            }
            let a = byByte.finalize(), b = byBuffer.finalize()
            #expect(a == b, "length \(length)")
        }
    }
}
