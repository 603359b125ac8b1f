package dev.lifeboat.state;

/** Who made a request: the token that authenticated it. */
public record Principal(String id, String name, Role role) {
    public boolean allows(Role required) {
        return role.allows(required);
    }
}
