using Pfs.Cli.Output;

namespace Pfs.Tests.Unit.Cli;

/// <summary>The order of a failed command's lines on stderr.</summary>
public sealed class CliConsoleTests
{
    [Fact]
    public void WhatACleanUpLeftIsWrittenAfterTheFailureThatCausedIt()
    {
        // Arrange: a put's clean-up could not remove the partial file, before the put's failure reaches the top
        using var stderr = new StringWriter();
        var console = new CliConsole(TextWriter.Null, stderr, interactive: false);
        console.NoteAfterFailure("could not remove the partial file 'a/slow' (identity 'a' has been revoked); remove it with pfs rm");

        // Act
        console.Fail("close 'a/slow': identity 'a' has been revoked");
        console.WriteNotesAfterFailure();

        // Assert: the cause first, then what it left, each once
        Assert.Equal(
            [
                "pfs: close 'a/slow': identity 'a' has been revoked",
                "pfs: could not remove the partial file 'a/slow' (identity 'a' has been revoked); remove it with pfs rm",
            ],
            stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void NotesKeptForAFailureThatNeverCameAreStillWritten()
    {
        using var stderr = new StringWriter();
        var console = new CliConsole(TextWriter.Null, stderr, interactive: false);
        console.NoteAfterFailure("could not remove the partial copy 'tree'; remove it with pfs rm -r");

        console.WriteNotesAfterFailure();

        Assert.Equal("pfs: could not remove the partial copy 'tree'; remove it with pfs rm -r" + Environment.NewLine, stderr.ToString());
    }
}
