package dev.lifeboat.core;

import java.util.HexFormat;

/** Lower-case hexadecimal, the one spelling used for hashes in manifests and blob names. */
public final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {}

    public static String of(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    public static byte[] parse(String hex) {
        return HEX.parseHex(hex);
    }
}
