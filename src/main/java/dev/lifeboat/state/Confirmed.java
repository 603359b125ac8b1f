package dev.lifeboat.state;

/**
 * A confirmation token consumed: the backup and target it was issued for, and the id of the API token
 * ({@link Principal#id()}) it was issued to.
 */
public record Confirmed(String backupId, String target, String principalId) {
}
