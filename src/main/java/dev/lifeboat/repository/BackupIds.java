package dev.lifeboat.repository;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/** Backup ids: a UTC timestamp to the second plus a random suffix, so they sort by time as text. */
public final class BackupIds {
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern VALID = Pattern.compile("\\d{8}T\\d{6}Z-[0-9a-f]{6}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private BackupIds() {}

    public static String next(Instant now) {
        return FORMAT.format(now.truncatedTo(ChronoUnit.SECONDS)) + "-" + String.format("%06x", RANDOM.nextInt(1 << 24));
    }

    public static boolean isValid(String id) {
        return VALID.matcher(id).matches();
    }
}
