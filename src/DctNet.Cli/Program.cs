Console.WriteLine("dctnet");
