package dev.lifeboat.web;

/**
 * One page of a long list (a repository holds thousands of backups): which rows to show and where the
 * neighbours are. Pages count from 1; a page number out of range shows the nearest page.
 *
 * @param page  the page shown, from 1 to {@link #pages()}
 * @param size  rows per page
 * @param total rows in the whole list
 */
public record Pager(int page, int size, int total) {
    public Pager {
        if (size < 1) {
            throw new IllegalArgumentException("a page holds at least one row, not " + size);
        }
        if (total < 0) {
            throw new IllegalArgumentException("a list has no negative length: " + total);
        }
    }

    /**
     * The page a request asks for ({@code ?page=3}), clamped to the pages that exist; anything that is
     * not a number means page 1.
     */
    public static Pager of(String requested, int size, int total) {
        int pages = Math.max(1, (total + size - 1) / size);
        int page = 1;
        if (requested != null) {
            try {
                page = Integer.parseInt(requested.strip());
            } catch (NumberFormatException e) {
                page = 1;
            }
        }
        return new Pager(Math.max(1, Math.min(pages, page)), size, total);
    }

    /** How many pages there are; an empty list has one, empty, page. */
    public int pages() {
        return Math.max(1, (total + size - 1) / size);
    }

    /** Index of the first row of this page (0-based, for {@code subList}). */
    public int offset() {
        return Math.min(total, (page - 1) * size);
    }

    /** Index after the last row of this page (0-based, exclusive). */
    public int end() {
        return Math.min(total, offset() + size);
    }

    public boolean hasPrevious() {
        return page > 1;
    }

    public boolean hasNext() {
        return page < pages();
    }

    /** {@code 101–200 of 10,000}; {@code 0 of 0} for an empty list. */
    public String describe() {
        if (total == 0) {
            return "0 of 0";
        }
        return Human.count(offset() + 1L) + "–" + Human.count(end()) + " of " + Human.count(total);
    }
}
