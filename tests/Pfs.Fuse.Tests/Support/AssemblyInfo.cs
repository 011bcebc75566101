using System.Runtime.Versioning;

// FUSE is Linux only; so are these tests.
[assembly: SupportedOSPlatform("linux")]
