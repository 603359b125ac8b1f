package dev.lifeboat.cli;

import dev.lifeboat.config.Settings;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The flags --state and --data-dir over what Settings read from LIFEBOAT_STATE and LIFEBOAT_DATA_DIR. */
class StateOptionsTest {
    private static final Settings.StateLocation CONFIGURED =
            new Settings.StateLocation("postgres://env@db/state", Path.of("/srv/lifeboat"));

    @Test
    void theFlagsComeBeforeTheEnvironment() {
        StateOptions none = new StateOptions();
        assertThat(none.location(CONFIGURED)).isEqualTo(CONFIGURED);
        assertThat(none.location(Settings.StateLocation.DEFAULT)).isEqualTo(Settings.StateLocation.DEFAULT);

        StateOptions flags = new StateOptions();
        flags.state = " postgres://opt@db/state ";
        flags.dataDir = Path.of("/opt/x");
        assertThat(flags.location(CONFIGURED))
                .isEqualTo(new Settings.StateLocation("postgres://opt@db/state", Path.of("/opt/x")));

        StateOptions blank = new StateOptions();
        blank.state = " ";
        assertThat(blank.location(CONFIGURED).url()).isEqualTo("postgres://env@db/state");
    }
}
