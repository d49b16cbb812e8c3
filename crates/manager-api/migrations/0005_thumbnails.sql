-- Last-rendered images are kept as Flamenco's three JPEG thumbnails from now on. Images
-- kept before were single files under other names: forget them (the next render of each
-- job brings a new one). Their files stay behind, served no more.

DELETE FROM last_rendered;
