using System.Runtime.CompilerServices;

// The unpickler's tests feed it Python-made and hand-made pickles directly, below the file formats.
[assembly: InternalsVisibleTo("DctNet.Tests")]
