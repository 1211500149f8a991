// FileSelection (`receive --select`): navigation and scrolling bounds, toggling, all/none,
// confirm/cancel, key mapping, tiny and unknown terminal heights, and the offer → entry mapping.
using Tallow.Cli.Output;
using Tallow.Wire;

namespace Tallow.Tests.Cli;

public class FileSelectionTests
{
    private static FileSelection Make(int count, ulong size = 1024) =>
        new([.. Enumerable.Range(0, count).Select(i => new SelectableFile($"dir/file{i:D3}.bin", size))]);

    private static void Press(FileSelection s, int height, params SelectorKey[] keys)
    {
        foreach (SelectorKey key in keys)
        {
            s.Apply(key, height);
        }
    }

    [Fact]
    public void Everything_starts_selected_and_the_footer_counts_files_and_bytes()
    {
        FileSelection s = Make(3);
        Assert.Equal(SelectionState.Choosing, s.State);
        Assert.Equal(3, s.SelectedCount);
        Assert.Equal([0, 1, 2], s.SelectedIndices());
        Assert.Equal("3 of 3 files, 3.0 KiB of 3.0 KiB selected", s.Footer());
    }

    [Fact]
    public void The_cursor_stays_within_the_list()
    {
        FileSelection s = Make(5);
        Press(s, 24, SelectorKey.Up, SelectorKey.Up);
        Assert.Equal(0, s.Cursor);
        Press(s, 24, SelectorKey.Down, SelectorKey.Down);
        Assert.Equal(2, s.Cursor);
        Press(s, 24, Enumerable.Repeat(SelectorKey.Down, 10).ToArray());
        Assert.Equal(4, s.Cursor);
        Press(s, 24, SelectorKey.Home);
        Assert.Equal(0, s.Cursor);
        Press(s, 24, SelectorKey.End);
        Assert.Equal(4, s.Cursor);
        Press(s, 24, SelectorKey.PageDown);
        Assert.Equal(4, s.Cursor);
        Press(s, 24, SelectorKey.PageUp);
        Assert.Equal(0, s.Cursor);
    }

    [Fact]
    public void The_window_scrolls_to_keep_the_cursor_visible_and_pages_by_its_height()
    {
        FileSelection s = Make(100);
        const int height = 10; // 9 lines: help, 7 rows, footer
        Press(s, height, Enumerable.Repeat(SelectorKey.Down, 7).ToArray());
        Assert.Equal(7, s.Cursor);
        Assert.Equal(1, s.Top);
        SelectorFrame frame = s.Render(80, height);
        Assert.Equal(9, frame.Lines.Count);
        Assert.Equal(7, frame.CursorLine); // last list row
        Assert.StartsWith("> [x] dir/file007.bin", frame.Lines[frame.CursorLine], StringComparison.Ordinal);
        Assert.EndsWith("[2-8 of 100]", frame.Lines[^1], StringComparison.Ordinal);

        Press(s, height, SelectorKey.PageDown);
        Assert.Equal(13, s.Cursor);
        Press(s, height, SelectorKey.End);
        Assert.Equal(99, s.Cursor);
        Assert.Equal(93, s.Top);
        Press(s, height, SelectorKey.PageUp);
        Assert.Equal(93, s.Cursor);
        Assert.Equal(93, s.Top); // still visible: no scroll needed
        Press(s, height, SelectorKey.Up);
        Assert.Equal(92, s.Top);
        Press(s, height, SelectorKey.Home);
        Assert.Equal(0, s.Top);
    }

    [Fact]
    public void Space_toggles_the_current_file_and_a_and_n_select_all_or_none()
    {
        FileSelection s = Make(4, size: 2048);
        Press(s, 24, SelectorKey.Down, SelectorKey.Toggle);
        Assert.False(s.IsSelected(1));
        Assert.Equal([0, 2, 3], s.SelectedIndices());
        Assert.Equal("3 of 4 files, 6.0 KiB of 8.0 KiB selected", s.Footer());
        Press(s, 24, SelectorKey.Toggle);
        Assert.True(s.IsSelected(1));
        Press(s, 24, SelectorKey.SelectNone);
        Assert.Empty(s.SelectedIndices());
        Assert.Equal("0 of 4 files, 0 B of 8.0 KiB selected", s.Footer());
        Press(s, 24, SelectorKey.End, SelectorKey.Toggle);
        Assert.Equal([3], s.SelectedIndices());
        Press(s, 24, SelectorKey.SelectAll);
        Assert.Equal(4, s.SelectedCount);
        Assert.Equal(8192UL, s.SelectedBytes);
    }

    [Fact]
    public void Confirm_and_cancel_end_the_selection_and_later_keys_change_nothing()
    {
        FileSelection confirmed = Make(3);
        Press(confirmed, 24, SelectorKey.Toggle, SelectorKey.Confirm, SelectorKey.SelectAll, SelectorKey.Cancel);
        Assert.Equal(SelectionState.Confirmed, confirmed.State);
        Assert.Equal([1, 2], confirmed.SelectedIndices());

        FileSelection cancelled = Make(3);
        Press(cancelled, 24, SelectorKey.Cancel, SelectorKey.Confirm);
        Assert.Equal(SelectionState.Cancelled, cancelled.State);
    }

    [Fact]
    public void Zero_files_render_a_note_and_confirm_with_nothing_selected()
    {
        FileSelection s = Make(0);
        Press(s, 24, SelectorKey.Down, SelectorKey.Toggle, SelectorKey.End, SelectorKey.PageDown, SelectorKey.SelectAll, SelectorKey.Up);
        Assert.Equal(0, s.Cursor);
        SelectorFrame frame = s.Render(80, 24);
        Assert.Equal(-1, frame.CursorLine);
        Assert.Contains(frame.Lines, l => l.Contains("no files", StringComparison.Ordinal));
        Assert.Equal("0 of 0 files, 0 B of 0 B selected", frame.Lines[^1]);
        Press(s, 24, SelectorKey.Confirm);
        Assert.Equal(SelectionState.Confirmed, s.State);
        Assert.Empty(s.SelectedIndices());
    }

    [Theory]
    [InlineData(1, 1, false, false)]
    [InlineData(2, 1, false, false)]
    [InlineData(3, 2, false, true)]
    [InlineData(4, 3, true, true)]
    [InlineData(0, 23, true, true)]  // unknown height: assume 24
    [InlineData(-5, 23, true, true)]
    public void Tiny_and_unknown_heights_keep_the_cursor_row_first(int height, int lines, bool help, bool footer)
    {
        FileSelection s = Make(50);
        Press(s, height, SelectorKey.Down, SelectorKey.Down, SelectorKey.PageDown);
        SelectorFrame frame = s.Render(40, height);
        Assert.Equal(lines, frame.Lines.Count);
        Assert.InRange(frame.CursorLine, 0, lines - 1);
        Assert.Contains($"file{s.Cursor:D3}", frame.Lines[frame.CursorLine], StringComparison.Ordinal);
        Assert.Equal(help, frame.Lines[0].StartsWith("Space", StringComparison.Ordinal) || frame.Lines[0].StartsWith("Select", StringComparison.Ordinal));
        Assert.Equal(footer, frame.Lines[^1].StartsWith("50/50 files, 50.0 KiB", StringComparison.Ordinal));
    }

    [Fact]
    public void Random_key_sequences_keep_the_invariants()
    {
        var random = new Random(20261125);
        SelectorKey[] keys = [.. Enum.GetValues<SelectorKey>().Where(k => k is not (SelectorKey.Confirm or SelectorKey.Cancel))];
        for (int run = 0; run < 300; run++)
        {
            int count = random.Next(0, 60);
            FileSelection s = Make(count);
            var expected = new HashSet<int>(Enumerable.Range(0, count));
            for (int step = 0; step < 80; step++)
            {
                int height = random.Next(-1, 30);
                int width = random.Next(0, 120);
                SelectorKey key = keys[random.Next(keys.Length)];
                int before = s.Cursor;
                s.Apply(key, height);
                if (key == SelectorKey.Toggle && count > 0 && !expected.Remove(before))
                {
                    expected.Add(before);
                }
                else if (key == SelectorKey.SelectAll)
                {
                    expected = [.. Enumerable.Range(0, count)];
                }
                else if (key == SelectorKey.SelectNone)
                {
                    expected.Clear();
                }

                Assert.InRange(s.Cursor, 0, Math.Max(0, count - 1));
                Assert.Equal(expected.Order(), s.SelectedIndices());
                Assert.Equal(expected.Count, s.SelectedCount);
                Assert.Equal((ulong)expected.Count * 1024, s.SelectedBytes);

                SelectorFrame frame = s.Render(width, height);
                Assert.InRange(frame.Lines.Count, 1, Math.Max(1, (height > 0 ? height : 24) - 1));
                Assert.All(frame.Lines, l => Assert.InRange(TerminalText.Width(l), 0, Math.Max(1, (width > 0 ? width : 80) - 1)));
                if (count > 0)
                {
                    Assert.InRange(frame.CursorLine, 0, frame.Lines.Count - 1);
                    if (width is 0 or >= 3)
                    {
                        Assert.StartsWith(width is 0 or >= 4 ? "> " : ">", frame.Lines[frame.CursorLine], StringComparison.Ordinal);
                    }
                }
            }
        }
    }

    [Fact]
    public void Keys_map_to_selector_keys()
    {
        static ConsoleKeyInfo K(char c, ConsoleKey key, bool control = false) => new(c, key, false, false, control);
        Assert.Equal(SelectorKey.Up, FileSelection.KeyOf(K('\0', ConsoleKey.UpArrow)));
        Assert.Equal(SelectorKey.Down, FileSelection.KeyOf(K('\0', ConsoleKey.DownArrow)));
        Assert.Equal(SelectorKey.Up, FileSelection.KeyOf(K('k', ConsoleKey.K)));
        Assert.Equal(SelectorKey.Down, FileSelection.KeyOf(K('j', ConsoleKey.J)));
        Assert.Equal(SelectorKey.PageUp, FileSelection.KeyOf(K('\0', ConsoleKey.PageUp)));
        Assert.Equal(SelectorKey.PageDown, FileSelection.KeyOf(K('\0', ConsoleKey.PageDown)));
        Assert.Equal(SelectorKey.Home, FileSelection.KeyOf(K('\0', ConsoleKey.Home)));
        Assert.Equal(SelectorKey.End, FileSelection.KeyOf(K('\0', ConsoleKey.End)));
        Assert.Equal(SelectorKey.Toggle, FileSelection.KeyOf(K(' ', ConsoleKey.Spacebar)));
        Assert.Equal(SelectorKey.SelectAll, FileSelection.KeyOf(K('a', ConsoleKey.A)));
        Assert.Equal(SelectorKey.SelectNone, FileSelection.KeyOf(K('n', ConsoleKey.N)));
        Assert.Equal(SelectorKey.Confirm, FileSelection.KeyOf(K('\r', ConsoleKey.Enter)));
        Assert.Equal(SelectorKey.Cancel, FileSelection.KeyOf(K('\x1b', ConsoleKey.Escape)));
        Assert.Equal(SelectorKey.Cancel, FileSelection.KeyOf(K('q', ConsoleKey.Q)));
        Assert.Equal(SelectorKey.Cancel, FileSelection.KeyOf(K('\x03', ConsoleKey.C, control: true)));
        Assert.Equal(SelectorKey.None, FileSelection.KeyOf(K('c', ConsoleKey.C)));
        Assert.Equal(SelectorKey.None, FileSelection.KeyOf(K('x', ConsoleKey.X)));
    }

    [Fact]
    public void An_offer_maps_its_files_back_to_entry_indices_skipping_folders()
    {
        var offer = new TransferOffer(TransferKind.Files, 1 << 20,
        [
            new OfferEntry(EntryType.Directory, "a", 0, 0x1ED, 0),
            new OfferEntry(EntryType.File, "a/x.txt", 10, 0x1A4, 0),
            new OfferEntry(EntryType.Directory, "a/b", 0, 0x1ED, 0),
            new OfferEntry(EntryType.File, "a/b/y.txt", 20, 0x1A4, 0),
        ]);
        (IReadOnlyList<SelectableFile> files, IReadOnlyList<int> entries) = FileSelection.FromOffer(offer);
        Assert.Equal([new SelectableFile("a/x.txt", 10), new SelectableFile("a/b/y.txt", 20)], files);
        Assert.Equal([1, 3], entries);
    }
}
