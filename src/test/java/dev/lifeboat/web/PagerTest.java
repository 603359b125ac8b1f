package dev.lifeboat.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PagerTest {
    @ParameterizedTest(name = "page {0} of {1} rows")
    @CsvSource({
            // requested, total, page, pages, offset, end, described
            "'',     0,     1, 1,   0,     0,     0 of 0",
            "1,      1,     1, 1,   0,     1,     1–1 of 1",
            "1,      100,   1, 1,   0,     100,   1–100 of 100",
            "2,      100,   1, 1,   0,     100,   1–100 of 100",
            "2,      101,   2, 2,   100,   101,   101–101 of 101",
            "3,      10000, 3, 100, 200,   300,   '201–300 of 10,000'",
            "100,    10000, 100, 100, 9900, 10000, '9,901–10,000 of 10,000'",
            "101,    10000, 100, 100, 9900, 10000, '9,901–10,000 of 10,000'",
            "0,      10000, 1, 100, 0,     100,   '1–100 of 10,000'",
            "-5,     10000, 1, 100, 0,     100,   '1–100 of 10,000'",
            "abc,    10000, 1, 100, 0,     100,   '1–100 of 10,000'",
            "' 2 ',  250,   2, 3,   100,   200,   101–200 of 250"})
    void clampsAndSlices(String requested, int total, int page, int pages, int offset, int end, String described) {
        Pager p = Pager.of(requested.isEmpty() ? null : requested, 100, total);
        assertThat(p.page()).isEqualTo(page);
        assertThat(p.pages()).isEqualTo(pages);
        assertThat(p.offset()).isEqualTo(offset);
        assertThat(p.end()).isEqualTo(end);
        assertThat(p.describe()).isEqualTo(described);
        assertThat(p.hasPrevious()).isEqualTo(page > 1);
        assertThat(p.hasNext()).isEqualTo(page < pages);
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Pager(1, 0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Pager(1, 10, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
