from mesh_tools.cli import main

raise SystemExit(main())
